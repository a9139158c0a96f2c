import {useState} from 'react';
import {catalogLocationForms} from '../../../core/catalog-kinds.ts';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {
	assertActionFits,
	connectCatalog,
	testCatalogConnection,
	type CatalogAction,
	type CatalogConnectionTest,
	type ConnectCatalogResult,
} from '../../../core/catalog-connection.ts';
import {errorSummary, toRscmError} from '../../../errors.ts';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import ConnectionTestLine from './ConnectionTestLine.tsx';
import Dialog from '../../components/Dialog.tsx';
import FieldError from '../../components/FieldError.tsx';
import RadioGroup, {radioOptionIds} from '../../components/RadioGroup.tsx';
import Spinner from '../../components/Spinner.tsx';
import TextField from '../../components/TextField.tsx';

type Step = 'action' | 'location' | 'summary' | 'progress' | 'done';

const actionOptions = [
	{value: 'create', label: 'Create a new report server database'},
	{value: 'existing', label: 'Choose an existing report server database'},
];

const stepTitles: Record<Exclude<Step, 'progress' | 'done'>, string> = {
	action: '1 of 3: Action',
	location: '2 of 3: Location',
	summary: '3 of 3: Summary',
};

/** What a server that chose an existing catalog must do next: it holds no key until someone gives it one. */
export function joinInstructions(fingerprint: string): string {
	return `Ask an admin on a joined server to add this instance (fingerprint ${fingerprint}), or restore a backup on the Encryption Keys page.`;
}

function WizardBody({report, onClose}: {report: (result: PageResult) => void; onClose: () => void}) {
	const {session, switchCatalog} = useSession();
	const [step, setStep] = useState<Step>('action');
	const [action, setAction] = useState<CatalogAction>('create');
	const [location, setLocation] = useState('');
	const [test, setTest] = useState<CatalogConnectionTest | undefined>(undefined);
	const [testedFor, setTestedFor] = useState<string | undefined>(undefined);
	const [error, setError] = useState<string | undefined>(undefined);
	const [testing, setTesting] = useState(false);
	const [result, setResult] = useState<ConnectCatalogResult | undefined>(undefined);
	const {run} = useOperation(report);

	const idsByStep: Record<Step, string[]> = {
		action: [...radioOptionIds('action', actionOptions), 'next', 'cancel'],
		location: ['location', 'test', 'next', 'back', 'cancel'],
		summary: ['finish', 'back', 'cancel'],
		progress: [],
		done: ['close'],
	};
	const ring = useFocusRing({ids: idsByStep[step], isActive: true});

	const go = (next: Step, focus?: string) => {
		setStep(next);
		setError(undefined);
		ring.focus(focus ?? idsByStep[next][0]!);
	};

	/** Runs Test Connection (again only when the text changed) and checks it fits the chosen action. */
	const testLocation = async (): Promise<CatalogConnectionTest | undefined> => {
		if (testing) return undefined;
		if (test !== undefined && testedFor === location) return test;
		setTesting(true);
		setError(undefined);
		try {
			const found = await testCatalogConnection(location);
			setTest(found);
			setTestedFor(location);
			// Server version first: the location may be longer than the Results line.
			report({ok: true, message: `Test Connection: ${found.serverVersion}, ${found.catalog ? 'catalog found' : 'no catalog'} at ${found.location}`});
			return found;
		} catch (caught) {
			const failure = toRscmError(caught);
			setTest(undefined);
			setTestedFor(undefined);
			setError(`${failure.message}${failure.hint ? ` ${failure.hint}` : ''}`);
			report({ok: false, message: `Test Connection failed: ${errorSummary(failure)}`});
			return undefined;
		} finally {
			setTesting(false);
		}
	};

	const toSummary = async () => {
		const found = await testLocation();
		if (found === undefined) return;
		try {
			assertActionFits(action, found);
		} catch (caught) {
			const failure = toRscmError(caught);
			setError(`${failure.message}${failure.hint ? ` ${failure.hint}` : ''}`);
			return;
		}

		go('summary', 'finish');
	};

	const finish = async () => {
		go('progress');
		const outcome = await run(
			async () => {
				const connected = await connectCatalog({action, location, instanceDirectory: session.instanceDirectory});
				await switchCatalog(connected.location);
				return connected;
			},
			connected =>
				connected.status === 'joined'
					? `This instance now uses ${connected.location}${connected.keyFingerprint ? ` (new key ${connected.keyFingerprint}; back it up now)` : ''}`
					: `This instance now uses ${connected.location}: Waiting to Join`,
		);
		if (outcome?.ok) {
			setResult(outcome.value);
			go('done', 'close');
		} else {
			setStep('summary');
			setError(outcome === undefined ? undefined : errorSummary(outcome.error));
			ring.focus('back');
		}
	};

	const buttons = (...items: Array<[string, string, () => void]>) => (
		<Box marginTop={1} gap={1}>
			{items.map(([id, label, onPress]) => (
				<Button key={id} label={label} ring={ring} id={id} onPress={onPress} />
			))}
		</Box>
	);

	if (step === 'action') {
		return (
			<Box flexDirection="column">
				<Text {...theme.text('muted')}>{stepTitles.action}</Text>
				<RadioGroup options={actionOptions} value={action} onChange={value => setAction(value as CatalogAction)} ring={ring} id="action" />
				{buttons(['next', 'Next', () => go('location')], ['cancel', 'Cancel', onClose])}
			</Box>
		);
	}

	if (step === 'location') {
		return (
			<Box flexDirection="column">
				<Text {...theme.text('muted')}>{stepTitles.location}</Text>
				<Text {...theme.text('muted')} wrap="truncate-end">
					{catalogLocationForms()}
				</Text>
				<TextField
					label="Location:"
					fieldWidth={32}
					value={location}
					onChange={value => {
						setLocation(value);
						setError(undefined);
					}}
					ring={ring}
					id="location"
					onSubmit={() => ring.focus('test')}
					error={error}
				/>
				{testedFor === location ? <ConnectionTestLine test={test} /> : null}
				{testing ? <Spinner label="Connecting…" /> : null}
				<Box marginTop={1}>
					<Button label="Test Connection" ring={ring} id="test" onPress={() => void testLocation()} />
				</Box>
				{buttons(['next', 'Next', () => void toSummary()], ['back', 'Back', () => go('action')], ['cancel', 'Cancel', onClose])}
			</Box>
		);
	}

	if (step === 'summary' && test !== undefined) {
		const joins = action === 'create' || !test.catalog?.hasKey;
		return (
			<Box flexDirection="column">
				<Text {...theme.text('muted')}>{stepTitles.summary}</Text>
				<Text wrap="truncate-end">Action: {action === 'create' ? 'create a new catalog' : 'use an existing catalog'}</Text>
				<Text wrap="truncate-end">Location: {test.location}</Text>
				<Text wrap="truncate-end">Server: {test.serverVersion}</Text>
				<Text wrap="wrap">
					{joins
						? 'This instance creates the key and joins.'
						: 'The catalog has a key: this instance registers as Waiting to Join.'}
				</Text>
				<FieldError message={error} />
				{buttons(['finish', 'Finish', () => void finish()], ['back', 'Back', () => go('location', 'location')], ['cancel', 'Cancel', onClose])}
			</Box>
		);
	}

	if (step === 'done' && result !== undefined) {
		return (
			<Box flexDirection="column">
				<Text wrap="wrap">
					<Text {...theme.text('success')}>✔</Text> This instance now uses {result.location}.
				</Text>
				{result.status === 'joined' ? (
					<Text wrap="wrap">
						Joined{result.keyFingerprint ? ` with new key ${result.keyFingerprint}: back it up on the Encryption Keys page` : ''}.
					</Text>
				) : (
					<Text {...theme.text('warning')} wrap="wrap">
						Waiting to Join. {joinInstructions(result.identityFingerprint)}
					</Text>
				)}
				{buttons(['close', 'Close', onClose])}
			</Box>
		);
	}

	return <Spinner label={action === 'create' ? 'Creating the catalog…' : 'Connecting to the catalog…'} />;
}

/**
 * SSRS "Change Database": a wizard that points this instance at another catalog, creating it or joining it. A new
 * catalog gets a new key; an existing one with a key makes this instance wait until a joined server adds it.
 */
export default function ChangeDatabaseWizard({width, report, onClose}: {width: number; report: (result: PageResult) => void; onClose: () => void}) {
	return (
		<Dialog title="Change Database" width={width} onCancel={onClose}>
			<WizardBody report={report} onClose={onClose} />
		</Dialog>
	);
}
