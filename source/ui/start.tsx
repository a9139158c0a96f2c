import process from 'node:process';
import {parseArgs} from 'node:util';
import {claimTerminationSignals} from '../process/termination-signals.ts';
import {openSession, machineName, type SessionOptions} from '../core/session.ts';
import {getStatus} from '../core/status.ts';
import {displayText} from '../core/terminal-text.ts';
import {detectCharset} from './charset.ts';

/**
 * Opens the Configuration Manager: one core session for the life of the UI, the status loaded before the first
 * frame (so the first frame is complete), and on a fresh machine the Database page first, offering to create the
 * catalog.
 */
export async function startConfigurationManager(argv: string[]): Promise<number> {
	const {values} = parseArgs({
		args: argv,
		options: {
			catalog: {type: 'string'},
			'instance-dir': {type: 'string'},
			ascii: {type: 'boolean'},
			unicode: {type: 'boolean'},
			'screen-reader': {type: 'boolean'},
		},
		strict: false,
	});
	// Decided once, before the first frame: a terminal does not change its character set while rscm runs.
	const charset = detectCharset(process.env, {ascii: values.ascii === true, unicode: values.unicode === true});
	const screenReader = values['screen-reader'] === true || process.env['INK_SCREEN_READER'] === 'true';
	const options: SessionOptions = {
		catalog: typeof values.catalog === 'string' ? values.catalog : undefined,
		instanceDirectory: typeof values['instance-dir'] === 'string' ? values['instance-dir'] : undefined,
	};
	// Ink, React and the shell load (parse and compile) while the session opens and the status is read: the two
	// waits overlap instead of adding up before the first frame.
	const ui = Promise.all([import('./components/SessionProvider.tsx'), import('./pages/index.ts'), import('./run-ui.tsx')]);
	ui.catch(() => undefined);
	const session = await openSession(options);
	const status = await getStatus(session).catch(() => undefined);
	const [{default: SessionProvider}, {pages}, {runUi}] = await ui;
	const firstRun = status?.catalog.exists === false;
	const initialPage = firstRun ? 'database' : 'status';
	// The first frame shows the initial page, not "Loading…": on a first run the Database page loads here. (A page
	// that fails to load says so itself.)
	await pages
		.find(page => page.id === initialPage)
		?.preload?.()
		.catch(() => undefined);
	// Whatever those modules loaded must not keep a hook on Ctrl+C, SIGTERM or SIGHUP (see termination-signals.ts).
	claimTerminationSignals();

	return runUi({
		pages,
		title: {machine: displayText(status?.machine ?? machineName()), instance: displayText(status?.instanceName ?? 'SSRS')},
		initialPage,
		// First run: the focus starts on the Database page's "Create catalog" button, one Enter creates the catalog.
		initialFocus: firstRun ? 'page' : 'list',
		charset,
		screenReader,
		// Pages get the session through context, so the shell itself knows nothing of the core.
		wrap: children => (
			<SessionProvider initialSession={session} initialStatus={status} options={options}>
				{children}
			</SessionProvider>
		),
	});
}
