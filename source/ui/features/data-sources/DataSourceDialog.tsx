import {useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {dataSourceFields, setDataSource, type DataSourceField, type DataSourceInput, type DataSourceSummary} from '../../../core/data-sources.ts';
import type {SecretState} from '../../../core/secret-values.ts';
import {displayText} from '../../../core/terminal-text.ts';
import Button from '../../components/Button.tsx';
import Dialog from '../../components/Dialog.tsx';
import FieldErrorLine from '../../components/FieldErrorLine.tsx';
import Spinner from '../../components/Spinner.tsx';
import TextField from '../../components/TextField.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFieldError} from '../../hooks/use-field-error.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useFormSubmit} from '../../hooks/use-form-submit.ts';
import type {PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';

export type DataSourceDialogProps = {
	/** The data source to edit; undefined creates a new one. */
	existing: DataSourceSummary | undefined;
	width: number;
	height: number;
	report: (result: PageResult) => void;
	onSaved: (saved: DataSourceSummary) => void;
	onCancel: () => void;
};

const labels: Record<DataSourceField, string> = {
	connectionString: 'Connection:',
	username: 'User name:',
	password: 'Password:',
};

/** How the Results pane names what was entered: never a value. */
const fieldNames: Record<DataSourceField, string> = {
	connectionString: 'connection string',
	username: 'user name',
	password: 'password',
};

const labelWidth = 12;

type Values = Record<DataSourceField, string>;

/**
 * New or edit one data source: connection string, user name and password (masked). As in SSRS, a stored value is
 * never shown; a field left empty keeps what is stored, and one that Delete Encrypted Content erased is marked so
 * the admin sees what to enter again.
 */
export default function DataSourceDialog({existing, width, height, report, onSaved, onCancel}: DataSourceDialogProps) {
	const {session, refresh} = useSession();
	const [name, setName] = useState('');
	const [values, setValues] = useState<Values>({connectionString: '', username: '', password: ''});
	const errors = useFieldError();
	const {work, submit: run} = useFormSubmit(report, errors);
	const submit = async () => {
		const target = existing?.name ?? name;
		const input: DataSourceInput = {};
		for (const field of dataSourceFields) if (values[field] !== '') input[field] = values[field];
		const entered = dataSourceFields.filter(field => input[field] !== undefined);
		if (existing !== undefined && entered.length === 0) {
			// Every field kept: nothing to write.
			onCancel();
			return;
		}

		await run(
			async () => setDataSource(session, target, input, {create: existing === undefined}),
			(saved, open) => {
				const what = entered.length === 0 ? 'no values yet' : `${entered.map(field => fieldNames[field]).join(', ')} entered`;
				report({ok: true, message: `Data source ${displayText(saved.name)} saved: ${what}`});
				void refresh();
				if (open) onSaved(saved);
			},
		);
	};

	return (
		<Dialog title={existing === undefined ? 'New Data Source' : 'Edit Data Source'} onCancel={onCancel} width={width} height={height}>
			<DataSourceForm
				width={Math.max(20, width - 4)}
				existing={existing}
				name={name}
				values={values}
				errorAt={field => errors.messageFor(field)}
				generalError={
					errors.error !== undefined && !['name', ...dataSourceFields].includes(errors.error.field ?? '') ? errors.error.message : undefined
				}
				work={work}
				onName={value => {
					setName(value);
					errors.clear('name');
				}}
				onValue={(field, value) => {
					setValues(previous => ({...previous, [field]: value}));
					errors.clear(field);
				}}
				onSubmit={() => void submit()}
				onCancel={onCancel}
			/>
		</Dialog>
	);
}

type DataSourceFormProps = {
	width: number;
	existing: DataSourceSummary | undefined;
	name: string;
	values: Values;
	errorAt: (field: string) => string | undefined;
	generalError: string | undefined;
	work: Promise<unknown> | undefined;
	onName: (value: string) => void;
	onValue: (field: DataSourceField, value: string) => void;
	onSubmit: () => void;
	onCancel: () => void;
};

/** The line under a field: the error about it (up to two lines), or what is stored now. */
function FieldNote({state, error, width}: {state: SecretState | undefined; error: string | undefined; width: number}) {
	if (error !== undefined) return <FieldErrorLine message={error} indent={2} width={width} maxLines={2} />;
	if (state === undefined) return null;
	if (state === 'needs-reentry') {
		return (
			<Text {...theme.text('warning')} wrap="truncate-end">
				{'  ! needs re-entry: type it again'}
			</Text>
		);
	}

	return (
		<Text {...theme.text('muted')} wrap="truncate-end">
			{state === 'set' ? '  set (leave empty to keep)' : '  empty'}
		</Text>
	);
}

function DataSourceForm(props: DataSourceFormProps) {
	const {width, existing, values, work, errorAt} = props;
	const running = work !== undefined;
	const ids = [...(existing === undefined ? ['name'] : []), ...dataSourceFields, 'ok', 'cancel'];
	const ring = useFocusRing({ids, isActive: true, initialId: ids[0]});
	const fieldWidth = Math.max(10, width - labelWidth - 1);
	const guard =
		<T,>(change: (value: T) => void) =>
		(value: T) => {
			if (!running) change(value);
		};

	return (
		<Box flexDirection="column">
			{existing === undefined ? (
				<>
					<Text wrap="truncate-end">Empty fields stay unset.</Text>
					<TextField
						label="Name:"
						labelWidth={labelWidth}
						fieldWidth={fieldWidth}
						value={props.name}
						onChange={guard(props.onName)}
						ring={ring}
						id="name"
						onSubmit={ring.next}
					/>
					<FieldNote state={undefined} error={errorAt('name')} width={width} />
				</>
			) : (
				<>
					<Text wrap="truncate-end" bold>
						{displayText(existing.name)}
					</Text>
					<Text wrap="truncate-end">Leave a field empty to keep its value.</Text>
				</>
			)}
			{dataSourceFields.map(field => (
				<Box key={field} flexDirection="column">
					<TextField
						label={labels[field]}
						labelWidth={labelWidth}
						fieldWidth={fieldWidth}
						value={values[field]}
						onChange={guard((value: string) => props.onValue(field, value))}
						mask={field === 'password'}
						ring={ring}
						id={field}
						onSubmit={field === 'password' ? props.onSubmit : ring.next}
					/>
					<FieldNote state={existing?.fields[field]} error={errorAt(field)} width={width} />
				</Box>
			))}
			{running ? <Spinner label="Saving…" promise={work} /> : null}
			{props.generalError === undefined || running ? null : (
				<Text {...theme.text('error')} wrap="truncate-end">
					✖ {props.generalError}
				</Text>
			)}
			<Box marginTop={1} gap={2}>
				<Button label="OK" ring={ring} id="ok" disabled={running} onPress={props.onSubmit} />
				<Button label="Cancel" ring={ring} id="cancel" onPress={props.onCancel} />
			</Box>
		</Box>
	);
}
