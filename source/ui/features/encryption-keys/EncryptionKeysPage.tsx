import {useEffect, useRef, useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import type {SecretKind} from '../../../core/secret-values.ts';
import {countDeleteContent, deleteEncryptedContent, type DeleteContentCounts} from '../../../core/delete-content.ts';
import {errorSummary, toRscmError, type Progress, type RscmError} from '../../../errors.ts';
import {pendingRotation, type ChangeProgress} from '../../../core/key-change.ts';
import BackupKeyDialog from './BackupKeyDialog.tsx';
import Button from '../../components/Button.tsx';
import ConfirmDialog from '../../components/ConfirmDialog.tsx';
import Dialog from '../../components/Dialog.tsx';
import ProgressBar from '../../components/ProgressBar.tsx';
import Spinner from '../../components/Spinner.tsx';
import RestoreKeyDialog from './RestoreKeyDialog.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {PageProps, PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import {displayText} from '../../../core/terminal-text.ts';
import {formatCount, formatTime} from '../../../core/display-format.ts';
import type {StatusReport} from '../../../core/status.ts';
import {pluralize, secretKindLabels, stateNotice} from '../display.ts';
import {describeSecretOwner, encryptedValueCount} from './key-display.ts';
import {useKeyChange, type KeyChangeOutcome} from './use-key-change.ts';

type Mode =
	| {name: 'idle'}
	| {name: 'backup'}
	| {name: 'restore'}
	| {name: 'confirm-change'}
	| {name: 'changing'}
	| {name: 'offer-backup'; fingerprint: string; version: number}
	| {name: 'confirm-delete'}
	| {name: 'deleting'; total: number}
	| {name: 'offer-reentry'; dataSources: number};

/** The four actions with the sentence the SSRS Encryption Keys page prints next to each button. */
const actions = {
	backup: {label: 'Backup', help: 'Back up a copy of the symmetric key to a password-protected file.'},
	restore: {label: 'Restore', help: 'Restore the symmetric key from a password-protected backup file.'},
	change: {label: 'Change', help: 'Replace the symmetric key and re-encrypt all encrypted content.'},
	delete: {label: 'Delete', help: 'Delete all encrypted content and create a new symmetric key.'},
} as const;

type ActionId = keyof typeof actions;

const buttonColumn = 12;
/** Names listed in the Delete confirmation before "and N more": enough to recognise, few enough to fit 80×24. */
const namesShown = 3;

const deleteWarning = 'Erases every encrypted value and creates a new key. This cannot be undone.';

function deleteMessage(preview: DeleteContentCounts): string[] {
	const lines = [deleteWarning];
	if (preview.total === 0) {
		lines.push('No encrypted values are stored: nothing will need re-entry.');
	} else {
		const kinds = Object.keys(secretKindLabels) as SecretKind[];
		const counts = kinds.filter(kind => preview.byKind[kind] > 0).map(kind => pluralize(preview.byKind[kind], secretKindLabels[kind]));
		lines.push(`To re-enter: ${counts.join(', ')}.`);
		const names = preview.sample.slice(0, namesShown).map(value => describeSecretOwner(value.kind, value.owner, value.field));
		const more = preview.total - names.length;
		lines.push(`${names.join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}.`);
	}

	lines.push(
		preview.instancesReset.length === 0
			? 'No other instance is affected.'
			: `Back to Waiting to Join: ${preview.instancesReset.map(row => displayText(`${row.machine}\\${row.instanceName}`)).join(', ')}.`,
	);
	return lines;
}

/** The Change button while a key change is pending: it resumes it, at once (the change was confirmed when it started). */
const resumeAction = {label: 'Resume', help: 'Resume the pending key change where it stopped.'} as const;

const finishedElsewhere = 'The key change was finished meanwhile (by another server); nothing to resume';

/** The Results line of a stopped key change, from the counts the core committed (the error's details, not its words). */
export function stoppedChangeMessage(progress: Progress | undefined): string {
	const counts = progress === undefined ? '' : ` after ${formatCount(progress.done)} of ${formatCount(progress.total)} values`;
	return `Key change stopped${counts}; press Resume to finish it`;
}

/** What the Results pane says about a key change started from the page. */
export function changeResult(outcome: KeyChangeOutcome): PageResult {
	switch (outcome.ended) {
		case 'changed': {
			const {result} = outcome;
			const resumed = result.resumed ? ' (resumed)' : '';
			return {ok: true, message: `Key changed to ${result.fingerprint} (version ${result.toVersion})${resumed}: ${formatCount(result.reencrypted)} values re-encrypted`};
		}

		case 'finished-elsewhere': {
			return {ok: true, message: finishedElsewhere};
		}

		case 'stopped': {
			// The core's numbers, not the last progress event: they are what the catalog committed.
			return {ok: false, message: stoppedChangeMessage(outcome.progress)};
		}

		case 'failed': {
			return {ok: false, message: errorSummary(outcome.error)};
		}
	}
}

/**
 * SSRS's Encryption Keys page: Backup, Restore, Change and Delete, each with its help sentence. Every action is a
 * core call (backupKey, restoreKey, changeKey, deleteEncryptedContent); the page only sequences the dialogs around
 * them. A key change runs in a modal with a progress bar; Esc or Ctrl+C stop it after the current batch. While it
 * is pending (stopped here, in another process, or before the manager last quit) Change becomes Resume, has the
 * focus when the page is entered, and one Enter resumes it where it stopped.
 */
export default function EncryptionKeysPage({focused, width, height, report, exitSignal, onExitRequest, open}: PageProps) {
	const {session, status, refresh} = useSession();
	const [mode, setMode] = useState<Mode>({name: 'idle'});
	const keyChange = useKeyChange({session, exitSignal, onExitRequest});
	const {run, running} = useOperation(report, refresh);

	const joined = status?.status === 'joined';
	const initialized = status !== undefined && status.status !== 'not-initialized';
	const enabled: Record<ActionId, boolean> = {backup: joined, restore: initialized, change: joined, delete: initialized};
	const ids = (Object.keys(actions) as ActionId[]).filter(id => enabled[id]);
	const rotation = status?.rotation;
	const resumable = rotation !== undefined && enabled.change;
	const ring = useFocusRing({ids, isActive: focused && mode.name === 'idle' && !running, initialId: resumable ? 'change' : undefined});
	const idle = () => setMode({name: 'idle'});

	// A change that became pending while the page was open (stopped with Esc, or by another server): Resume gets the
	// focus, so the key that resumes it is Enter.
	const {focus} = ring;
	useEffect(() => {
		if (resumable) focus('change');
	}, [resumable, focus]);

	const startChange = async (resumeOnly = false) => {
		const change = keyChange.start({pending: rotation, resumeOnly});
		if (change === undefined) return;
		setMode({name: 'changing'});
		const outcome = await change;
		report(changeResult(outcome));
		setMode(outcome.ended === 'changed' ? {name: 'offer-backup', fingerprint: outcome.result.fingerprint, version: outcome.result.toVersion} : {name: 'idle'});
		await refresh();
	};

	const confirmDelete = async (preview: DeleteContentCounts) => {
		setMode({name: 'deleting', total: preview.total});
		const outcome = await run(
			async () => deleteEncryptedContent(session),
			result =>
				`Encrypted content deleted: ${formatCount(result.cleared)} values to re-enter; new key ${result.fingerprint}` +
				(result.instancesReset > 0 ? `; ${result.instancesReset} other instance(s) now Waiting to Join` : ''),
		);
		// As SSRS sends the admin to re-enter credentials after Delete: the next step, one Enter away.
		if (outcome?.ok && outcome.value.dataSourcesToReenter > 0) setMode({name: 'offer-reentry', dataSources: outcome.value.dataSourcesToReenter});
		else idle();
	};

	/** Resume: one Enter, no dialog; only a change still pending is resumed, never a new one started unasked. */
	const resumeChange = async () => {
		const pending = await run(async () => pendingRotation(session), () => undefined);
		if (!pending?.ok) return;
		if (pending.value === undefined) {
			report({ok: true, message: finishedElsewhere});
			await refresh();
			return;
		}

		// Resume only: if another server finishes it in the meantime, the core starts nothing new.
		await startChange(true);
	};

	const press: Record<ActionId, () => void> = {
		backup: () => setMode({name: 'backup'}),
		restore: () => setMode({name: 'restore'}),
		change: () => (resumable ? void resumeChange() : setMode({name: 'confirm-change'})),
		// The dialog opens at once and counts what it erases while it is shown (DeleteContentDialog).
		delete: () => setMode({name: 'confirm-delete'}),
	};

	switch (mode.name) {
		case 'backup': {
			return (
				<BackupKeyDialog
					width={width}
					height={height}
					report={report}
					exitSignal={exitSignal}
					onCancel={idle}
					onDone={() => {
						idle();
						void refresh();
					}}
				/>
			);
		}

		case 'restore': {
			return (
				<RestoreKeyDialog
					width={width}
					height={height}
					report={report}
					onCancel={idle}
					onDone={() => {
						idle();
						void refresh();
					}}
				/>
			);
		}

		case 'confirm-change': {
			const message = rotation
				? [
						`A key change is pending: ${formatCount(rotation.done)} of ${formatCount(rotation.total)} values re-encrypted (version ${rotation.fromVersion} → ${rotation.toVersion}).`,
						'Resume it now?',
					]
				: [
						`Creates a new symmetric key, gives it to every joined instance and re-encrypts ${pluralize(encryptedValueCount(status?.secrets), {one: 'encrypted value', many: 'encrypted values'})}.`,
						'Backups made before the change cannot restore the new key. Continue?',
					];
			return (
				<ConfirmDialog
					title="Change Encryption Key"
					message={message}
					confirmLabel={rotation ? 'Resume' : 'Change'}
					width={width}
					onCancel={idle}
					onConfirm={() => void startChange()}
				/>
			);
		}

		case 'changing': {
			return (
				<ChangeProgressDialog width={width} progress={keyChange.progress} stopping={keyChange.stopping} onStop={keyChange.stop} />
			);
		}

		case 'offer-backup': {
			return (
				<ConfirmDialog
					title="Change Encryption Key"
					message={[
						`The key is now ${mode.fingerprint} (version ${mode.version}).`,
						'Back up the new key now? Earlier backups cannot restore it.',
					]}
					confirmLabel="Back Up"
					cancelLabel="Later"
					initialFocus="confirm"
					width={width}
					onCancel={idle}
					onConfirm={() => setMode({name: 'backup'})}
				/>
			);
		}

		case 'confirm-delete': {
			return (
				<DeleteContentDialog
					width={width}
					onCancel={idle}
					onConfirm={preview => void confirmDelete(preview)}
					onError={error => {
						idle();
						report({ok: false, message: errorSummary(error)});
					}}
				/>
			);
		}

		case 'deleting': {
			return (
				<Dialog title="Delete Encrypted Content" width={width} onCancel={() => undefined}>
					<Spinner label={`Erasing ${pluralize(mode.total, {one: 'encrypted value', many: 'encrypted values'})} and creating a new key…`} />
					<Box marginTop={1}>
						<Text {...theme.text('muted')} wrap="wrap">
							One transaction: it cannot be stopped, and a failure changes nothing.
						</Text>
					</Box>
				</Dialog>
			);
		}

		case 'offer-reentry': {
			return (
				<ConfirmDialog
					title="Delete Encrypted Content"
					message={[
						mode.dataSources === 1
							? '1 data source needs its credentials entered again.'
							: `${formatCount(mode.dataSources)} data sources need their credentials entered again.`,
						'Open Data Sources now?',
					]}
					confirmLabel="Data Sources"
					cancelLabel="Later"
					initialFocus="confirm"
					width={width}
					onCancel={idle}
					onConfirm={() => {
						idle();
						open('data-sources');
					}}
				/>
			);
		}

		case 'idle': {
			break;
		}
	}

	// At 80×24 the page has 14 lines: the four actions take 8, so what is said above them stays within 5 (the key, its
	// backup, a state that needs the admin in two, a pending change in one) and the spacing comes back with room.
	const roomy = height >= 18;
	return (
		<Box flexDirection="column" width={width}>
			<KeyState status={status} />
			<Box flexDirection="column" marginTop={1} gap={roomy ? 1 : 0}>
				{(Object.keys(actions) as ActionId[]).map(id => (
					<Box key={id} flexDirection="row">
						<Box width={buttonColumn} flexShrink={0}>
							<Button
								label={id === 'change' && resumable ? resumeAction.label : actions[id].label}
								ring={ring}
								id={id}
								disabled={!enabled[id] || running}
								onPress={press[id]}
							/>
						</Box>
						<Box flexGrow={1}>
							<Text wrap="wrap" {...(enabled[id] ? {} : theme.text('muted'))}>
								{id === 'change' && resumable ? resumeAction.help : actions[id].help}
							</Text>
						</Box>
					</Box>
				))}
			</Box>
		</Box>
	);
}

/** What is said above the actions: the key and its backup, a state that needs the admin, a pending change. */
function KeyState({status}: {status: StatusReport | undefined}) {
	const primary = status?.primaryKey;
	const outdated = status?.outdatedBackup;
	const notice = stateNotice(status);
	const rotation = status?.rotation;
	return (
		<>
			{primary === undefined ? null : (
				<>
					<Text wrap="truncate-end">
						Key {primary.fingerprint} · version {primary.version}
					</Text>
					{primary.backedUpAt !== undefined ? (
						<Text wrap="truncate-end">Last backup {formatTime(primary.backedUpAt)}</Text>
					) : (
						<Text {...theme.text('warning')} wrap="truncate-end">
							{outdated
								? `Backup outdated: ${formatTime(outdated.at)} holds v${outdated.version} — back up now`
								: 'Never backed up — back up the key now'}
						</Text>
					)}
				</>
			)}
			{status === undefined ? (
				<Text {...theme.text('muted')}>The key status is not known yet.</Text>
			) : notice === undefined ? null : (
				<Text {...theme.text('warning')} wrap="wrap">
					{notice}
				</Text>
			)}
			{rotation === undefined ? null : (
				<Text {...theme.text('warning')} wrap="truncate-end">
					{`Key change pending: ${formatCount(rotation.done)} of ${formatCount(rotation.total)} re-encrypted`}
				</Text>
			)}
		</>
	);
}

type ChangeProgressDialogProps = {
	width: number;
	progress: ChangeProgress | undefined;
	stopping: boolean;
	onStop: () => void;
};

/** The running key change: modal, so the page and the list stay quiet; Esc (the dialog's cancel) stops it. */
function ChangeProgressDialog({width, progress, stopping, onStop}: ChangeProgressDialogProps) {
	const inner = Math.max(10, width - 4);
	return (
		<Dialog title="Change Encryption Key" onCancel={onStop} width={width}>
			<Text wrap="truncate-end">
				{progress === undefined
					? 'Creating the new key…'
					: `Re-encrypting: version ${progress.fromVersion} → ${progress.toVersion}`}
			</Text>
			<ProgressBar done={progress?.done ?? 0} total={progress?.total ?? 0} width={inner} />
			<Box marginTop={1}>
				<Text {...theme.text(stopping ? 'warning' : 'muted')} wrap="wrap">
					{stopping
						? 'Stopping after the current batch…'
						: 'Esc or Ctrl+C stops after the current batch; Change resumes it later.'}
				</Text>
			</Box>
		</Dialog>
	);
}

type DeleteContentDialogProps = {
	width: number;
	onCancel: () => void;
	onConfirm: (counts: DeleteContentCounts) => void;
	onError: (error: RscmError) => void;
};

/**
 * Delete's confirmation. It is shown at once and counts what it erases while the admin reads the warning and types
 * DELETE (the counts come from the catalog's indexes, never from the values): Delete works once they are shown.
 */
export function DeleteContentDialog({width, onCancel, onConfirm, onError}: DeleteContentDialogProps) {
	const {session} = useSession();
	const [counts, setCounts] = useState<DeleteContentCounts | undefined>(undefined);
	const failed = useRef(onError);
	failed.current = onError;
	useEffect(() => {
		let current = true;
		countDeleteContent(session, {sampleSize: namesShown}).then(
			value => {
				if (current) setCounts(value);
			},
			(error: unknown) => {
				if (current) failed.current(toRscmError(error));
			},
		);
		return () => {
			current = false;
		};
		// Counted once per opening (the page's onError is a new function on each of its renders).
	}, [session]);

	return (
		<ConfirmDialog
			title="Delete Encrypted Content"
			message={counts === undefined ? [deleteWarning] : deleteMessage(counts)}
			busy={counts === undefined ? 'Counting the encrypted values…' : undefined}
			requireText="DELETE"
			confirmLabel="Delete"
			width={width}
			onCancel={onCancel}
			onConfirm={() => {
				if (counts !== undefined) onConfirm(counts);
			}}
		/>
	);
}
