import {errorSummary} from '../../../errors.ts';
import {useCallback, useEffect, useState} from 'react';
import type {Session} from '../../../core/session.ts';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {addInstance, isLastJoinedInstance, listInstances, removeInstance, type InstanceSummary} from '../../../core/instances.ts';
import {acceptKey, proposedKey, type ProposedKey} from '../../../core/key-accept.ts';
import Button from '../../components/Button.tsx';
import ConfirmDialog from '../../components/ConfirmDialog.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import {usePageLoad} from '../../hooks/use-page-load.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import {readerState} from '../../reader.ts';
import {displayText} from '../../../core/terminal-text.ts';

type Pending = {action: 'add' | 'remove'; row: InstanceSummary; lastJoined: boolean} | {action: 'accept'; key: ProposedKey};

const rowId = (row: InstanceSummary) => `row:${row.installationId}`;
const columns = {server: 14, instance: 10};
// Machine and instance names come from the catalog: one line, control characters made visible.
const serverName = (row: InstanceSummary) => displayText(`${row.machine}\\${row.instanceName}`);

function pad(text: string, width: number): string {
	return text.length >= width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/**
 * SSRS "Scale-out Deployment": every report server that shares this catalog, joined or waiting to join. Add Server
 * wraps the key for a waiting server, but only after showing its identity fingerprint: anyone who can write to the
 * catalog can register a server, and comparing the fingerprint with what that machine shows is how the admin knows
 * the key goes where they mean.
 */
export default function ScaleOutPage({focused, visible, width, height, report}: PageProps) {
	const {session, status, refresh} = useSession();
	const [rows, setRows] = useState<InstanceSummary[] | undefined>(undefined);
	const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
	const [pending, setPending] = useState<Pending | undefined>(undefined);
	const [actionError, setActionError] = useState<string | undefined>(undefined);
	// The key this server was given and has not confirmed yet (status "Key not confirmed").
	const [received, setReceived] = useState<ProposedKey | undefined>(undefined);
	const {run, running} = useOperation(report, refresh);
	const unconfirmed = status?.status === 'unconfirmed';

	const read = useCallback(
		async (from: Session) => ({instances: await listInstances(from), received: unconfirmed ? await proposedKey(from) : undefined}),
		[unconfirmed],
	);
	// Other servers join and leave on their own: read again whenever the status is refreshed and the page is shown.
	const {loadError, reload: load} = usePageLoad(visible, read, value => {
		setRows(value.instances);
		setReceived(value.received);
	});

	// A failed read shows no rows: they may be stale.
	const list = (loadError === undefined ? rows : undefined) ?? [];
	const selected = list.find(row => row.installationId === selectedId) ?? list[0];
	const self = list.find(row => row.isThisInstance);
	const selfJoined = status?.status === 'joined';
	const canAdd = selected?.status === 'waiting' && selfJoined;
	const ring = useFocusRing({
		ids: [...list.map(rowId), ...(canAdd ? ['add'] : []), ...(selected ? ['remove'] : []), ...(received ? ['accept'] : [])],
		isActive: focused && pending === undefined,
		onPress(id) {
			// Enter on a waiting row is Add Server, the action the row is waiting for.
			if (id.startsWith('row:') && canAdd) void ask('add');
		},
	});

	// The focused row is the selected row: ↑/↓ walk the table, and the buttons act on the last row visited.
	const focusedRow = ring.focusedId?.startsWith('row:') ? ring.focusedId.slice(4) : undefined;
	useEffect(() => {
		if (focusedRow !== undefined && focusedRow !== selectedId) {
			setSelectedId(focusedRow);
			setActionError(undefined);
		}
	}, [focusedRow, selectedId]);

	const ask = async (action: 'add' | 'remove') => {
		if (!selected) return;
		setActionError(undefined);
		const lastJoined = action === 'remove' && (await isLastJoinedInstance(session, selected.installationId));
		setPending({action, row: selected, lastJoined});
	};

	const confirm = async () => {
		if (!pending) return;
		setPending(undefined);
		if (pending.action === 'accept') {
			const {key} = pending;
			const outcome = await run(async () => acceptKey(session, key.fingerprint), () => `Accepted key version ${key.version} (${key.fingerprint}): this server uses it now`);
			if (outcome && !outcome.ok) setActionError(errorSummary(outcome.error));
			await load();
			return;
		}

		const {action, row} = pending;
		const name = serverName(row);
		const outcome =
			action === 'add'
				? await run(async () => addInstance(session, row.installationId, row.identityFingerprint), () => `Added ${name} (${row.identityFingerprint}): it holds the key now`)
				: await run(async () => removeInstance(session, row.installationId), () => `Removed ${name} from the deployment`);
		if (outcome && !outcome.ok) {
			setActionError(
				outcome.error.code === 'LAST_JOINED_INSTANCE'
					? `${outcome.error.message} ${outcome.error.hint ?? ''} [LAST_JOINED_INSTANCE]`
					: errorSummary(outcome.error),
			);
		}

		await load();
	};

	if (pending?.action === 'accept') {
		return (
			<ConfirmDialog
				title="Accept Key"
				message={[
					`Use key version ${pending.key.version} on this server from now on?`,
					`Key fingerprint: ${pending.key.fingerprint}`,
					'Compare with the Primary key line on the Status page of a joined server. Accept only if they match.',
				]}
				confirmLabel="Accept"
				width={width}
				onCancel={() => setPending(undefined)}
				onConfirm={() => void confirm()}
			/>
		);
	}

	if (pending) {
		const {row} = pending;
		const name = serverName(row);
		const message =
			pending.action === 'add'
				? [
						`Add ${name} to the deployment and give it the key?`,
						`Identity fingerprint: ${row.identityFingerprint}`,
						'Compare with what `rscm status` shows on that server. Add only if they match.',
					]
				: [
						`Remove ${name} (${row.installationId.slice(0, 8)}) from the deployment? Its copy of the key is deleted.`,
						...(pending.lastJoined
							? ['Warning: this is the last joined instance. Without it the key exists only in backups: a backup will then be needed to restore it.']
							: []),
					];
		return (
			<ConfirmDialog
				title={pending.action === 'add' ? 'Add Server' : 'Remove Server'}
				message={message}
				confirmLabel={pending.action === 'add' ? 'Add' : 'Remove'}
				width={width}
				onCancel={() => setPending(undefined)}
				onConfirm={() => void confirm()}
			/>
		);
	}

	const catalog = status?.catalog;
	// Two lines per server; keep the selected one in view when there are more than fit.
	const fixedLines = 7 + (self?.status === 'waiting' ? 2 : 0) + (received ? 3 : 0) + (actionError ? 2 : 0);
	const visibleRows = Math.max(1, Math.floor((height - fixedLines) / 2));
	const selectedIndex = Math.max(0, list.findIndex(row => row === selected));
	const first = Math.min(Math.max(0, selectedIndex - visibleRows + 1), Math.max(0, list.length - visibleRows));
	const shown = list.slice(first, first + visibleRows);
	const wide = width >= 70;

	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text {...theme.text('muted')}>Catalog: </Text>
				{catalog === undefined ? 'unknown' : catalog.exists ? `${catalog.kind} ${catalog.location}` : `${catalog.location} (not created)`}
			</Text>
			{loadError === undefined ? null : <Text {...theme.text('error')}>✖ {loadError}</Text>}
			{received ? (
				<Text {...theme.text('warning')} wrap="wrap">
					This server was given key version {received.version}, fingerprint {received.fingerprint}. Compare it with the
					Primary key line on a joined server&apos;s Status page, then Accept Key. It uses no key until then.
				</Text>
			) : null}
			{self?.status === 'waiting' ? (
				<Text {...theme.text('warning')} wrap="wrap">
					This server is Waiting to Join (fingerprint {self.identityFingerprint}). Ask an admin on a joined server to add it, or
					restore a backup on the Encryption Keys page.
				</Text>
			) : null}
			<Text {...theme.text('muted')} wrap="truncate-end">
				{'  ' + pad('Server', columns.server) + pad('Instance', columns.instance) + 'Status'}
			</Text>
			{list.length === 0 && loadError === undefined ? <Text {...theme.text('muted')}>  No instances registered.</Text> : null}
			{shown.map(row => {
				const isFocused = ring.isFocused(rowId(row));
				const isSelected = row === selected;
				const style = isFocused ? theme.text('selection') : isSelected ? theme.text('accent') : {};
				const id = wide ? row.installationId : `${row.installationId.slice(0, 8)}…`;
				return (
					<Box
						key={row.installationId}
						flexDirection="column"
						aria-role="listitem"
						aria-state={readerState({focused: isFocused, selected: isSelected})}
					>
						<Text
							wrap="truncate-end"
							aria-label={`${row.machine} ${row.instanceName} ${row.statusLabel}${row.isThisInstance ? ' (this)' : ''}`}
						>
							<Text {...style}>
								{(isFocused || isSelected ? '›' : ' ') + ' ' + pad(displayText(row.machine), columns.server) + pad(displayText(row.instanceName), columns.instance)}
							</Text>
							<Text {...theme.text(row.status === 'joined' ? 'success' : 'warning')}>{row.statusLabel}</Text>
							{row.isThisInstance ? <Text {...theme.text('accent')}> (this)</Text> : null}
						</Text>
						<Text wrap="truncate-end" aria-label={`${id} ${row.identityFingerprint}${row.identityTampered ? ' (edited outside rscm)' : ''}`}>
							<Text {...theme.text('muted')}>{`    ${id}  ${row.identityFingerprint}`}</Text>
							{/* The stored fingerprint column disagrees with the public key: the row was edited outside rscm. */}
							{row.identityTampered ? <Text {...theme.text('error')}> ✖ edited</Text> : null}
						</Text>
					</Box>
				);
			})}
			{list.length > shown.length ? (
				<Text {...theme.text('muted')}>
					  {first + 1}-{first + shown.length} of {list.length}
				</Text>
			) : null}
			{selected ? (
				<Text wrap="truncate-end" {...theme.text('muted')}>
					Id: {selected.installationId}
				</Text>
			) : null}
			{actionError === undefined ? null : (
				<Text {...theme.text('error')} wrap="wrap">
					✖ {actionError}
				</Text>
			)}
			<Box gap={2}>
				{canAdd ? <Button label="Add Server" ring={ring} id="add" onPress={() => void ask('add')} /> : null}
				{selected ? (
					<Button label={running ? 'Working…' : 'Remove Server'} ring={ring} id="remove" onPress={() => void ask('remove')} />
				) : null}
				{received ? <Button label="Accept Key" ring={ring} id="accept" onPress={() => setPending({action: 'accept', key: received})} /> : null}
			</Box>
		</Box>
	);
}
