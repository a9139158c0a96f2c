import {parseArgs} from 'node:util';
import {openSession, machineName, type SessionOptions} from '../core/session.ts';
import {getStatus} from '../core/status.ts';
import SessionProvider from './components/SessionProvider.tsx';
import {pages} from './pages/index.ts';
import {runUi} from './run-ui.tsx';

/**
 * Opens the Configuration Manager: one core session for the life of the UI, the status loaded before the first
 * frame (so the first frame is complete), and on a fresh machine the Database page first, offering to create the
 * catalog.
 */
export async function startConfigurationManager(argv: string[]): Promise<number> {
	const {values} = parseArgs({
		args: argv,
		options: {catalog: {type: 'string'}, 'instance-dir': {type: 'string'}},
		strict: false,
	});
	const options: SessionOptions = {
		catalog: typeof values.catalog === 'string' ? values.catalog : undefined,
		instanceDirectory: typeof values['instance-dir'] === 'string' ? values['instance-dir'] : undefined,
	};
	const session = await openSession(options);
	const status = await getStatus(session).catch(() => undefined);
	const firstRun = status?.catalog.exists === false;

	return runUi({
		pages,
		title: {machine: status?.machine ?? machineName(), instance: status?.instanceName ?? 'SSRS'},
		initialPage: firstRun ? 'database' : 'status',
		// First run: the focus starts on the Database page's "Create catalog" button, one Enter creates the catalog.
		initialFocus: firstRun ? 'page' : 'list',
		// Pages get the session through context, so the shell itself knows nothing of the core.
		wrap: children => (
			<SessionProvider initialSession={session} initialStatus={status} options={options}>
				{children}
			</SessionProvider>
		),
	});
}
