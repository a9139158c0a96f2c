import type React from 'react';
import {useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {changeServiceIdentity} from '../../../core/service-identity.ts';
import BackupKeyDialog from '../encryption-keys/BackupKeyDialog.tsx';
import Button from '../../components/Button.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import {formatTime} from '../../../core/display-format.ts';
import {stateNotice} from '../display.ts';

const labelWidth = 17;

const explanation =
	'The report server opens its copy of the symmetric key with this identity. Change creates a new one; the key is backed up first, as SSRS does.';

function Row({label, children}: {label: string; children: React.ReactNode}) {
	return (
		<Box flexDirection="row">
			<Box width={labelWidth} flexShrink={0}>
				<Text {...theme.text('muted')}>{label}</Text>
			</Box>
			<Text wrap="truncate-end">{children}</Text>
		</Box>
	);
}

/**
 * SSRS's Service Account page. In SSRS the account's identity is what unlocks the symmetric key, so changing it
 * first opens the Backup Encryption Key dialog; rscm does the same for its service identity (the X25519 key pair in
 * the instance directory): the backup comes first, the new identity only after it succeeded, and cancelling the
 * backup cancels the change.
 */
export default function ServiceAccountPage({focused, width, height, report, exitSignal}: PageProps) {
	const {session, status, refresh} = useSession();
	const [backingUp, setBackingUp] = useState(false);
	const {run, running} = useOperation(report, refresh);
	const joined = status?.status === 'joined';
	const notice = stateNotice(status);
	const ring = useFocusRing({ids: joined ? ['change'] : [], isActive: focused && !backingUp && !running});

	if (backingUp) {
		return (
			<BackupKeyDialog
				intro="Back up the key first; the new identity follows."
				width={width}
				height={height}
				report={report}
				exitSignal={exitSignal}
				onCancel={() => {
					setBackingUp(false);
					report({ok: false, message: 'Service identity not changed: the key backup was cancelled'});
				}}
				onDone={() => {
					setBackingUp(false);
					void run(
						async () => changeServiceIdentity(session),
						result => `Service identity changed to ${result.fingerprint} (was ${result.previousFingerprint})`,
					);
				}}
			/>
		);
	}

	return (
		<Box flexDirection="column" width={width}>
			<Row label="Service account">{status?.serviceAccount ?? '—'}</Row>
			<Row label="Identity">{status?.identity?.fingerprint ?? 'none'}</Row>
			<Row label="Identity created">{formatTime(status?.identity?.createdAt)}</Row>
			<Box marginTop={1}>
				<Text wrap="wrap">{explanation}</Text>
			</Box>
			{notice === undefined ? null : (
				<Text {...theme.text('warning')} wrap="wrap">
					{notice}
				</Text>
			)}
			<Box marginTop={1}>
				<Button label="Change" ring={ring} id="change" disabled={!joined || running} onPress={() => setBackingUp(true)} />
			</Box>
		</Box>
	);
}
