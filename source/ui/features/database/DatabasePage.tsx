import {useState} from 'react';
import {catalogKindLabel} from '../../../core/catalog-kinds.ts';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {formatTime} from '../../../core/display-format.ts';
import {initialize} from '../../../core/initialize.ts';
import Button from '../../components/Button.tsx';
import LabelledRow from '../../components/LabelledRow.tsx';
import ChangeDatabaseWizard, {joinInstructions} from './ChangeDatabaseWizard.tsx';
import CopyCatalogDialog from './CopyCatalogDialog.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';

// Labels kept short so a catalog id (36 characters) fits the 49 columns of the page at 80×24.
const labelWidth = 12;

/** One labelled value; `wrap` for a value that must be read whole (a location: its end names the file or schema). */
function Row({label, value, wrap = false}: {label: string; value: string; wrap?: boolean}) {
	return (
		<LabelledRow label={label} labelWidth={labelWidth} wrap={wrap ? 'wrap' : 'truncate-end'}>
			{value}
		</LabelledRow>
	);
}

/**
 * SSRS "Database": the report server database (here the catalog) this instance uses, Change Database, and — beyond
 * SSRS — copying the catalog elsewhere, which is how a deployment moves up from SQLite to PostgreSQL. On a fresh
 * machine the manager opens here and one Enter creates the catalog (start.tsx focuses this page).
 */
export default function DatabasePage({focused, width, report, exitSignal, onExitRequest}: PageProps) {
	const {session, status, statusError, refresh} = useSession();
	const [dialog, setDialog] = useState<'change' | 'copy' | undefined>(undefined);
	const {run, running} = useOperation(report, refresh);
	const catalog = status?.catalog;
	const missing = catalog?.exists === false;
	const unregistered = catalog?.exists === true && status?.status === 'not-initialized';
	const canCopy = catalog?.exists === true && status?.status === 'joined';
	const ids = [...(missing || unregistered ? ['create'] : []), 'change', ...(canCopy ? ['copy'] : [])];
	const ring = useFocusRing({ids, isActive: focused && dialog === undefined, initialId: ids[0]});

	const create = async () => {
		await run(
			async () => initialize(session),
			result =>
				result.status === 'joined'
					? `${result.catalogCreated ? 'Created the catalog' : 'Initialized'} at ${session.catalog.location}${result.keyFingerprint ? `; key ${result.keyFingerprint} has never been backed up` : ''}`
					: `Registered this instance: Waiting to Join. ${joinInstructions(result.identityFingerprint)}`,
		);
	};

	if (dialog === 'change') return <ChangeDatabaseWizard width={width} report={report} onClose={() => setDialog(undefined)} />;
	if (dialog === 'copy') {
		return (
			<CopyCatalogDialog
				width={width}
				report={report}
				exitSignal={exitSignal}
				onExitRequest={onExitRequest}
				onClose={() => setDialog(undefined)}
			/>
		);
	}

	return (
		<Box flexDirection="column">
			{statusError === undefined ? null : (
				<Text {...theme.text('error')} wrap="wrap">
					✖ {statusError.message}
				</Text>
			)}
			{catalog === undefined ? null : catalog.exists ? (
				<>
					<Row label="Kind:" value={catalogKindLabel(catalog.kind)} />
					<Row wrap label="Location:" value={catalog.location} />
					<Row label="Server:" value={catalog.serverVersion} />
					<Row label="Schema:" value={`version ${catalog.schemaVersion}`} />
					<Row label="Catalog id:" value={catalog.catalogId} />
					<Row label="Created:" value={formatTime(catalog.createdAt)} />
				</>
			) : (
				<>
					<Row label="Kind:" value={catalogKindLabel(catalog.kind)} />
					<Row wrap label="Location:" value={catalog.location} />
				</>
			)}
			{missing ? (
				<Text {...theme.text('warning')} wrap="wrap">
					No catalog exists here yet. Create it: this instance generates the encryption key and joins.
				</Text>
			) : null}
			{unregistered ? (
				<Text {...theme.text('warning')} wrap="wrap">
					This instance is not registered in the catalog. Register it: it waits to join if the catalog has a key.
				</Text>
			) : null}
			{status?.status === 'waiting' && status.identity ? (
				<Text {...theme.text('warning')} wrap="wrap">
					Waiting to Join. {joinInstructions(status.identity.fingerprint)}
				</Text>
			) : null}
			<Box marginTop={1} gap={1}>
				{missing || unregistered ? (
					<Button
						label={running ? 'Working…' : missing ? 'Create catalog' : 'Register instance'}
						ring={ring}
						id="create"
						onPress={() => void create()}
					/>
				) : null}
				<Button label="Change Database" ring={ring} id="change" onPress={() => setDialog('change')} />
				{canCopy ? <Button label="Copy Catalog" ring={ring} id="copy" onPress={() => setDialog('copy')} /> : null}
			</Box>
		</Box>
	);
}
