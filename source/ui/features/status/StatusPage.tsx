import type React from 'react';
import {catalogKindLabel} from '../../../core/catalog-kinds.ts';
import {useEffect, useRef} from 'react';
import {Box} from 'ink';
import Button from '../../components/Button.tsx';
import LabelledRow, {type LabelledRowProps} from '../../components/LabelledRow.tsx';
import ScrollArea from '../../components/ScrollArea.tsx';
import {Text} from '../../components/Text.tsx';
import {instanceStatusLabels, type InstanceStatus, type StatusReport} from '../../../core/status.ts';
import {useSession} from '../../contexts/session-context.ts';
import type {PageProps} from '../../page-types.ts';
import {theme, type ColorRole} from '../../theme.ts';
import {formatCount, formatTime} from '../../../core/display-format.ts';
import {describeSecretCounts, nextSteps} from '../display.ts';
import {displayText} from '../../../core/terminal-text.ts';

/** Label column: "Installation ID" does not fit 80 columns next to a UUID, so the labels stay within 12. */
const labelWidth = 13;

const statusRoles: Record<InstanceStatus, ColorRole> = {
	joined: 'success',
	waiting: 'warning',
	'key-unavailable': 'error',
	'not-initialized': 'warning',
	tampered: 'error',
	unconfirmed: 'warning',
};

function Row(props: Omit<LabelledRowProps, 'labelWidth'>) {
	return <LabelledRow labelWidth={labelWidth} {...props} />;
}

/** Under a pending key change: how to resume it (Encryption Keys opens with the focus on Resume). */
export const resumeHint = 'Resume: 8 Encryption Keys → Resume';

function scaleOutSummary(instances: StatusReport['instances']): string {
	if (instances.total <= 1) return instances.total === 1 ? 'Single instance' : 'No instances';
	return `${instances.total} instances: ${instances.joined} joined, ${instances.waiting} waiting`;
}

/**
 * SSRS's Report Server Status page, for the key: which machine and instance this is, which catalog it uses, whether
 * it holds the key (with what to do when it does not), the primary key and whether it was ever backed up, what the
 * key protects, a pending rotation and the scale-out membership. Rows are ordered by importance: at 80×24 the page
 * has 14 lines, and whatever does not fit is clipped from the bottom.
 */
export default function StatusPage({focused, visible, width, height, open}: PageProps) {
	const {status, statusError, refresh} = useSession();
	// Another process (a cron backup, a second admin) may have changed the catalog while another page was shown.
	const wasVisible = useRef(visible);
	useEffect(() => {
		if (visible && !wasVisible.current) void refresh();
		wasVisible.current = visible;
	}, [visible, refresh]);

	if (statusError !== undefined) {
		return (
			<Box flexDirection="column" width={width}>
				<Text {...theme.text('error')} wrap="wrap">
					✖ The status cannot be read: {statusError.message}
				</Text>
			</Box>
		);
	}

	if (status === undefined) return <Text {...theme.text('muted')}>Loading…</Text>;
	const {catalog, primaryKey: primary, rotation} = status;
	const versions = status.keyVersions.map(version => `v${version.version}`).join(', ');
	const reentry = describeSecretCounts(status.secrets, 'needsReentry');
	// Waiting to Join: the pages' short way (the core's detail spells out the command, four lines at 80×24). The
	// other states keep the core's words: they say what is wrong and which fingerprint to compare.
	const detail = status.status === 'waiting' ? nextSteps.waiting : status.statusDetail;
	return (
		<ScrollArea width={width} height={height} active={focused}>
			{status.status === 'tampered' ? (
				// First line of the page: nothing below it should be trusted until this is resolved.
				<Text wrap="wrap" {...theme.text('error')}>
					✖ Keyring tampered [KEYRING_TAMPERED]: do not use this catalog until it is resolved.
				</Text>
			) : null}
			{status.status === 'unconfirmed' ? (
				<Text wrap="wrap" {...theme.text('warning')}>
					! Key not confirmed [KEY_NOT_CONFIRMED]: compare the key fingerprint below with a joined server first.
				</Text>
			) : null}
			{status.warnings.map(warning => (
				<Text key={warning} wrap="wrap" {...theme.text('warning')}>
					! {warning}
				</Text>
			))}
			{/* Machine\instance as SSRS writes it: one row, where two cost a line the detail below may need. */}
			<Row label="Instance">{displayText(`${status.machine}\\${status.instanceName}`)}</Row>
			<Row label="Install ID">{status.installationId ?? '—'}</Row>
			<Row label="Catalog" wrap="truncate-middle">
				{catalogKindLabel(catalog.kind)} · {catalog.location}
			</Row>
			<Row label="Catalog ID">{catalog.exists ? catalog.catalogId : 'not created yet'}</Row>
			<Row label="Key status" role={statusRoles[status.status]}>
				{instanceStatusLabels[status.status]}
			</Row>
			{detail === undefined ? null : (
				<Box marginLeft={labelWidth}>
					<Text wrap="wrap">{detail}</Text>
				</Box>
			)}
			{primary === undefined ? null : (
				<>
					<Row label="Primary key">
						{primary.fingerprint} (v{primary.version}; live {versions})
					</Row>
					<Row label="Key created">{formatTime(primary.createdAt)}</Row>
					{primary.backedUpAt === undefined ? (
						<Row label="Last backup" role="warning" wrap="wrap">
							{status.outdatedBackup
								? `Outdated: ${formatTime(status.outdatedBackup.at)} holds v${status.outdatedBackup.version}, not v${primary.version} — back up now`
								: 'Never — back up the key now'}
						</Row>
					) : (
						<Row label="Last backup">{formatTime(primary.backedUpAt)}</Row>
					)}
				</>
			)}
			{rotation === undefined ? null : (
				<>
					<Row label="Key change" role="warning">
						{`pending: ${formatCount(rotation.done)}/${formatCount(rotation.total)} re-encrypted, v${rotation.fromVersion} → v${rotation.toVersion}`}
					</Row>
					{/* Where the one key that resumes it is: 8 shows Encryption Keys, Enter enters it on Resume. Only a
					    joined server can resume it. */}
					{status.status === 'joined' ? (
						<Box marginLeft={labelWidth}>
							<Text wrap="truncate-end">{resumeHint}</Text>
						</Box>
					) : null}
				</>
			)}
			{status.secrets === undefined ? null : (
				<>
					<Row label="Encrypted">{describeSecretCounts(status.secrets, 'total')}</Row>
					<Row label="Re-entry" role={reentry === 'none' ? undefined : 'warning'}>
						{reentry === 'none' ? 'none needed' : `${reentry} need re-entry`}
					</Row>
					{/* Data source credentials are re-entered on the Data Sources page: one Enter from here. */}
					{status.secrets.datasource.needsReentry > 0 ? (
						<Box marginLeft={labelWidth}>
							<Button label="Re-enter on Data Sources" focused={focused} onPress={() => open('data-sources')} />
						</Box>
					) : null}
				</>
			)}
			{catalog.exists ? <Row label="Scale-out">{scaleOutSummary(status.instances)}</Row> : null}
		</ScrollArea>
	);
}
