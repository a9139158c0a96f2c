import {useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {restoreKey, type RestoreResult} from '../../../core/key-backup.ts';
import {useSession} from '../../contexts/session-context.ts';
import {useFieldError, type FieldErrorState} from '../../hooks/use-field-error.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useFormSubmit} from '../../hooks/use-form-submit.ts';
import type {PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import Dialog from '../../components/Dialog.tsx';
import FieldErrorLine from '../../components/FieldErrorLine.tsx';
import Spinner from '../../components/Spinner.tsx';
import TextField from '../../components/TextField.tsx';

export type RestoreKeyDialogProps = {
	width: number;
	height: number;
	report: (result: PageResult) => void;
	onDone: (result: RestoreResult) => void;
	onCancel: () => void;
};

const labelWidth = 15;

/**
 * SSRS's Restore Encryption Key dialog: File Location and Password. The core refuses what cannot work (another
 * catalog's backup, one older than the last key change, a wrong password) before it changes anything; the
 * dialog shows the refusal at the field it is about, with the core's hint saying which backup is needed.
 */
export default function RestoreKeyDialog({width, height, report, onDone, onCancel}: RestoreKeyDialogProps) {
	const {session} = useSession();
	const [file, setFile] = useState('');
	const [password, setPassword] = useState('');
	const errors = useFieldError();
	const {work, submit: run} = useFormSubmit(report, errors);
	const submit = async () =>
		run(
			async () => restoreKey(session, {file, password}),
			(result, open) => {
				const identity = result.identityCreated ? '; a new service identity was created' : '';
				report({ok: true, message: `Key ${result.fingerprints.join(', ')} restored from ${result.file}${identity}`});
				if (open) onDone(result);
			},
		);

	return (
		<Dialog title="Restore Encryption Key" onCancel={onCancel} width={width} height={height}>
			<RestoreForm
				width={Math.max(20, width - 4)}
				file={file}
				password={password}
				error={errors.error}
				work={work}
				onFile={value => {
					setFile(value);
					errors.clear('file');
				}}
				onPassword={value => {
					setPassword(value);
					errors.clear('password');
				}}
				onSubmit={() => void submit()}
				onCancel={onCancel}
			/>
		</Dialog>
	);
}

type RestoreFormProps = {
	width: number;
	file: string;
	password: string;
	error: FieldErrorState | undefined;
	work: Promise<unknown> | undefined;
	onFile: (value: string) => void;
	onPassword: (value: string) => void;
	onSubmit: () => void;
	onCancel: () => void;
};

function RestoreForm(props: RestoreFormProps) {
	const {width, file, password, error, work} = props;
	const running = work !== undefined;
	const ring = useFocusRing({ids: ['file', 'password', 'ok', 'cancel'], isActive: true, initialId: 'file'});
	const fieldWidth = Math.max(10, width - labelWidth - 1);
	const guard = (change: (value: string) => void) => (value: string) => {
		if (!running) change(value);
	};

	const errorAt = (field: string) => (error?.field === field ? error.message : undefined);
	const general = error !== undefined && error.field !== 'file' && error.field !== 'password' ? error.message : undefined;
	return (
		<Box flexDirection="column">
			<Text wrap="wrap">Replaces this instance&apos;s copy of the key with the one in a backup file.</Text>
			<Box marginTop={1}>
				<TextField
					label="File Location:"
					labelWidth={labelWidth}
					fieldWidth={fieldWidth}
					value={file}
					onChange={guard(props.onFile)}
					placeholder="path to the .snk file"
					ring={ring}
					id="file"
					onSubmit={ring.next}
				/>
			</Box>
			<FieldErrorLine message={errorAt('file')} indent={1} width={width} maxLines={3} />
			<TextField
				label="Password:"
				labelWidth={labelWidth}
				fieldWidth={fieldWidth}
				value={password}
				onChange={guard(props.onPassword)}
				mask
				ring={ring}
				id="password"
				onSubmit={props.onSubmit}
			/>
			<FieldErrorLine message={errorAt('password')} indent={1} width={width} />
			{running ? (
				<Spinner label="Opening the backup…" promise={work} />
			) : general === undefined ? null : (
				<FieldErrorLine message={general} indent={0} width={width} />
			)}
			{error?.hint === undefined || running ? null : (
				<Text {...theme.text('muted')} wrap="truncate-end">
					{error.hint}
				</Text>
			)}
			<Box marginTop={1} gap={2}>
				<Button label="OK" ring={ring} id="ok" disabled={running} onPress={props.onSubmit} />
				<Button label="Cancel" ring={ring} id="cancel" onPress={props.onCancel} />
			</Box>
		</Box>
	);
}
