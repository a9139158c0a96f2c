import {useEffect, useRef, useState} from 'react';
import {catalogCopyTargets} from '../../../core/catalog-kinds.ts';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {assertActionFits, catalogLocationToSave, testCatalogConnection, type CatalogConnectionTest} from '../../../core/catalog-connection.ts';
import {copyCatalog, type CopyCatalogResult, type CopyProgress} from '../../../core/catalog-copy.ts';
import {errorSummary, toRscmError} from '../../../errors.ts';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {ExitCleanup, PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import ConnectionTestLine from './ConnectionTestLine.tsx';
import Dialog from '../../components/Dialog.tsx';
import ProgressBar from '../../components/ProgressBar.tsx';
import Spinner from '../../components/Spinner.tsx';
import TextField from '../../components/TextField.tsx';

type Step = 'target' | 'progress' | 'done';

export type CopyCatalogDialogProps = {
	width: number;
	report: (result: PageResult) => void;
	onClose: () => void;
	exitSignal: AbortSignal;
	onExitRequest: (cleanup: ExitCleanup) => () => void;
};

function CopyBody({width, report, onClose, exitSignal, onExitRequest}: CopyCatalogDialogProps) {
	const {session, switchCatalog} = useSession();
	const [step, setStep] = useState<Step>('target');
	const [location, setLocation] = useState('');
	const [test, setTest] = useState<CatalogConnectionTest | undefined>(undefined);
	const [testedFor, setTestedFor] = useState<string | undefined>(undefined);
	const [testing, setTesting] = useState(false);
	const [error, setError] = useState<string | undefined>(undefined);
	const [progress, setProgress] = useState<CopyProgress | undefined>(undefined);
	const [result, setResult] = useState<CopyCatalogResult | undefined>(undefined);
	const unregister = useRef<(() => void) | undefined>(undefined);
	const {run} = useOperation(report);
	const ids: Record<Step, string[]> = {target: ['location', 'test', 'copy', 'cancel'], progress: [], done: ['use', 'close']};
	const ring = useFocusRing({ids: ids[step], isActive: true});

	useEffect(() => () => unregister.current?.(), []);

	const describeError = (caught: unknown) => {
		const failure = toRscmError(caught);
		return `${failure.message}${failure.hint ? ` ${failure.hint}` : ''}`;
	};

	// The target must be reachable and hold no catalog: copy never merges or overwrites.
	const testTarget = async (): Promise<CatalogConnectionTest | undefined> => {
		if (testing) return undefined;
		setTesting(true);
		setError(undefined);
		try {
			const found = await testCatalogConnection(location);
			setTest(found);
			setTestedFor(location);
			assertActionFits('create', found);
			return found;
		} catch (caught) {
			setError(describeError(caught));
			return undefined;
		} finally {
			setTesting(false);
		}
	};

	const copy = async () => {
		const found = await testTarget();
		if (found === undefined) return;
		setStep('progress');
		const target = catalogLocationToSave(location);
		let finished: () => void = () => undefined;
		const done = new Promise<void>(resolve => {
			finished = resolve;
		});
		// Quitting stops the copy before its next batch; the target is left without data (one transaction).
		unregister.current = onExitRequest(async () => done);
		const outcome = await run(
			async () => copyCatalog(session, target, {signal: exitSignal, onProgress: setProgress}),
			copied => `Copied catalog ${copied.catalogId.slice(0, 8)}… to ${copied.to.location} (${copied.to.serverVersion}): ${copied.counts.secrets} values verified`,
		);
		finished();
		unregister.current?.();
		unregister.current = undefined;
		if (outcome?.ok) {
			setResult(outcome.value);
			setStep('done');
			ring.focus('close');
		} else {
			setStep('target');
			setError(outcome === undefined ? undefined : errorSummary(outcome.error));
			ring.focus('location');
		}
	};

	const useCopy = async () => {
		if (!result) return;
		const outcome = await run(
			async () => switchCatalog(catalogLocationToSave(location)),
			() => `This instance now uses ${result.to.location}`,
		);
		if (outcome?.ok) onClose();
	};

	if (step === 'progress') {
		return (
			<Box flexDirection="column">
				<Text wrap="truncate-end">Copying to {location}</Text>
				{progress === undefined ? (
					<Spinner label="Reading the catalog…" />
				) : (
					<ProgressBar
						label={progress.phase === 'copying' ? 'Copying  ' : 'Verifying'}
						done={progress.done}
						total={progress.total}
						width={Math.max(20, width - 4)}
					/>
				)}
			</Box>
		);
	}

	if (step === 'done' && result) {
		return (
			<Box flexDirection="column">
				<Text wrap="wrap">
					<Text {...theme.text('success')}>✔</Text> Copied to {result.to.location} ({result.to.serverVersion}).
				</Text>
				<Text wrap="wrap">
					{result.counts.secrets} values, {result.counts.instances} instances; {result.decrypted ?? 0} decrypted in the copy.
				</Text>
				<Text wrap="wrap" {...theme.text('muted')}>
					Point every server at the copy (this one: Use the copy), then retire the old catalog.
				</Text>
				<Box marginTop={1} gap={1}>
					<Button label="Use the copy" ring={ring} id="use" onPress={() => void useCopy()} />
					<Button label="Close" ring={ring} id="close" onPress={onClose} />
				</Box>
			</Box>
		);
	}

	return (
		<Box flexDirection="column">
			<Text wrap="wrap" {...theme.text('muted')}>
				Copy this catalog (id, keys, instances, content, audit) to {catalogCopyTargets()}.
			</Text>
			<TextField
				label="Copy to:"
				fieldWidth={32}
				value={location}
				onChange={value => {
					setLocation(value);
					setError(undefined);
				}}
				ring={ring}
				id="location"
				placeholder="postgres://host/db?schema=rscm"
				onSubmit={() => ring.focus('test')}
				error={error}
			/>
			{testedFor === location && error === undefined ? <ConnectionTestLine test={test} /> : null}
			{testing ? <Spinner label="Connecting…" /> : null}
			<Box marginTop={1} gap={1}>
				<Button label="Test Connection" ring={ring} id="test" onPress={() => void testTarget()} />
				<Button label="Copy" ring={ring} id="copy" onPress={() => void copy()} />
				<Button label="Cancel" ring={ring} id="cancel" onPress={onClose} />
			</Box>
		</Box>
	);
}

/** "Copy the current catalog to …": how a deployment moves up from SQLite to PostgreSQL (rscm catalog copy). */
export default function CopyCatalogDialog(props: CopyCatalogDialogProps) {
	return (
		<Dialog title="Copy Catalog" width={props.width} onCancel={props.onClose}>
			<CopyBody {...props} width={props.width - 4} />
		</Dialog>
	);
}
