import {mkdir, rm} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {RscmError} from '../../source/errors.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {changeKey} from '../../source/core/key-change.ts';
import type {Session} from '../../source/core/session.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {pages} from '../../source/ui/pages/index.ts';
import {joinedInstance, loadDataSources, newDeployment, openTestSession, tempDirectory} from '../helpers/catalog-fixtures.ts';
import {fitProblems, type FitProblem, type FitRegion} from '../helpers/fit.ts';
import {press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame} from '../helpers/page-harness.tsx';

type State = {name: string; open: (t: ExecutionContext) => Promise<Session>};

async function stopChangeAtOnce(session: Session): Promise<void> {
	const controller = new AbortController();
	await changeKey(session, {signal: controller.signal, batchSize: 1, onProgress: () => controller.abort()}).catch((error: unknown) => {
		if (!(error instanceof RscmError) || error.code !== 'CANCELLED') throw error;
	});
}

const states: State[] = [
	{
		name: 'joined',
		async open(t) {
			const {session} = await joinedInstance(t);
			await loadDataSources(session, 3);
			return session;
		},
	},
	{
		name: 'waiting',
		async open(t) {
			const {deployment, session} = await joinedInstance(t);
			await loadDataSources(session, 3);
			const waiting = await deployment.open('b');
			await initialize(waiting, {name: 'B', machine: 'TESTHOST'});
			return waiting;
		},
	},
	{
		name: 'waiting, another server left a key change pending',
		async open(t) {
			const {deployment, session} = await joinedInstance(t);
			await loadDataSources(session, 4);
			const waiting = await deployment.open('b');
			await initialize(waiting, {name: 'B', machine: 'TESTHOST'});
			await stopChangeAtOnce(session);
			return waiting;
		},
	},
	{
		name: 'key not confirmed',
		async open(t) {
			const {deployment, session} = await joinedInstance(t);
			const added = await deployment.open('b');
			const init = await initialize(added, {name: 'B', machine: 'TESTHOST'});
			await addInstance(session, init.installationId, init.identityFingerprint);
			return added;
		},
	},
	{
		name: 'key unavailable',
		async open(t) {
			const {session} = await joinedInstance(t);
			await rm(identityPath(session.instanceDirectory, 'current'));
			return session;
		},
	},
	{
		name: 'rotation pending',
		async open(t) {
			const {session} = await joinedInstance(t);
			await loadDataSources(session, 4);
			await stopChangeAtOnce(session);
			return session;
		},
	},
	{
		name: 're-entry needed',
		async open(t) {
			const {session} = await joinedInstance(t);
			await loadDataSources(session, 4);
			await deleteEncryptedContent(session);
			return session;
		},
	},
	{
		name: 'long names and paths',
		async open(t) {
			const root = await tempDirectory(t);
			const deep = path.join(root, 'report-server-catalogs', 'production-cluster-eu-west', 'very-long-directory-name');
			const deployment = await newDeployment(t);
			await mkdir(deep, {recursive: true});
			const session = await openTestSession(t, path.join(deep, 'ReportServerCatalog.db'), deployment.instanceDirectory('long'));
			await initialize(session, {name: 'REPORTING_SERVICES_PRODUCTION_42', machine: 'REPORT-SERVER-EUWEST-0123456789'});
			await loadDataSources(session, 2);
			return session;
		},
	},
	{
		name: 'no catalog yet',
		async open(t) {
			const deployment = await newDeployment(t);
			return deployment.open('first');
		},
	},
];

// One test per state, every page in turn on the one session: the fixtures are the costly part.
for (const state of states) {
	test(`every page fits 80×24: ${state.name}`, async t => {
		const fixture = await state.open(t);
		const problems: Record<string, FitProblem[]> = {};
		for (const page of pages) {
			// The shell closes its session when it unmounts: each page gets its own on the same catalog and instance.
			const session = await openTestSession(t, fixture.catalog.location, fixture.instanceDirectory);
			const rendered = await renderPage(t, session, page.id);
			await waitForFrame(rendered, /┃ \S/);
			const found = await fitProblems(rendered);
			rendered.unmount();
			if (found.length > 0) problems[page.title] = found;
		}

		t.deepEqual(problems, {});
	});
}

type DialogCase = {
	name: string;
	page: string;
	state: string;
	/** Keys from the page's first focused control to the dialog, and text that shows it is open. */
	keys: string[];
	shows: string | RegExp;
	/** Typed into the dialog's focused field once open. */
	type?: string;
	/** What the page shows once its data is loaded, before the keys are sent (a list loads after the first frame). */
	ready?: string | RegExp;
	/** Text that shows what was typed has been answered (the strength estimate loads when the dialog opens). */
	typed?: RegExp;
	region?: FitRegion;
};

const dialogs: DialogCase[] = [
	{name: 'Backup Encryption Key', page: 'encryption-keys', state: 'joined', keys: ['enter'], shows: 'Backup Encryption Key'},
	{
		name: 'Backup Encryption Key, a guessable password typed',
		page: 'encryption-keys',
		state: 'joined',
		keys: ['enter'],
		shows: 'Backup Encryption Key',
		type: 'abcd1234',
		typed: /Strength: very weak — This/,
	},
	{
		name: 'Backup Encryption Key, a strong password typed',
		page: 'encryption-keys',
		state: 'joined',
		keys: ['enter'],
		shows: 'Backup Encryption Key',
		type: 'Tr0ub4dor&3-horse-Staple',
		typed: /Strength: very strong/,
	},
	{name: 'Restore Encryption Key', page: 'encryption-keys', state: 'joined', keys: ['tab', 'enter'], shows: 'Restore Encryption Key'},
	{name: 'Restore Encryption Key, waiting', page: 'encryption-keys', state: 'waiting', keys: ['enter'], shows: 'Restore Encryption Key'},
	{name: 'Change Encryption Key', page: 'encryption-keys', state: 'joined', keys: ['tab', 'tab', 'enter'], shows: 'Change Encryption Key'},
	// A pending change gives Resume the focus: one Tab reaches Delete.
	{name: 'Delete Encrypted Content, key change pending', page: 'encryption-keys', state: 'rotation pending', keys: ['tab', 'enter'], shows: 'To re-enter:'},
	{name: 'Delete Encrypted Content', page: 'encryption-keys', state: 'joined', keys: ['tab', 'tab', 'tab', 'enter'], shows: 'To re-enter:'},
	{name: 'Delete Encrypted Content, long names', page: 'encryption-keys', state: 'long names and paths', keys: ['tab', 'tab', 'tab', 'enter'], shows: 'To re-enter:'},
	{name: 'Change Database', page: 'database', state: 'joined', keys: ['enter'], shows: '━ Change Database'},
	{name: 'Copy Catalog', page: 'database', state: 'joined', keys: ['tab', 'enter'], shows: '━ Copy Catalog'},
	{name: 'Change Database, Location', page: 'database', state: 'joined', keys: ['enter', 'tab', 'tab', 'enter'], shows: /2 of 3: Location/},
	{name: 'New Data Source', page: 'data-sources', state: 'joined', keys: ['n'], shows: '━ New Data Source'},
	{name: 'Edit Data Source, re-entry needed', page: 'data-sources', state: 're-entry needed', ready: 'DS-00000', keys: ['enter'], shows: '━ Edit Data Source'},
	{name: 'Remove Data Source', page: 'data-sources', state: 'joined', ready: 'DS-00000', keys: ['x'], shows: '━ Remove Data Source'},
	{name: 'Help', page: 'status', state: 'joined', keys: ['?'], shows: 'Help — keys', region: 'body'},
	{name: 'Help on Data Sources', page: 'data-sources', state: 'joined', keys: ['?'], shows: 'Help — keys', region: 'body'},
];

for (const dialog of dialogs) {
	test(`${dialog.name} fits 80×24`, async t => {
		const state = states.find(each => each.name === dialog.state)!;
		const session = await state.open(t);
		const rendered = await renderPage(t, session, dialog.page);
		await waitForFrame(rendered, dialog.ready ?? /┃ \S/, 15_000);
		await press(rendered, ...dialog.keys);
		await waitForFrame(rendered, dialog.shows, 15_000);
		if (dialog.type !== undefined) await typeText(rendered, dialog.type);
		if (dialog.typed !== undefined) await waitForFrame(rendered, dialog.typed);
		const problems = await fitProblems(rendered, dialog.region);
		t.deepEqual(problems, []);
	});
}
