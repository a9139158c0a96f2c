import test, {type ExecutionContext} from 'ava';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {confirmKey, joinedInstance, loadDataSources} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

// A short interval stands in for the default few seconds; what is tested is that no reopening is needed.
const refreshIntervalMs = 50;

async function twoJoinedServers(t: ExecutionContext) {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const init = await initialize(b, {name: 'B', machine: 'TESTHOST'});
	await addInstance(a, init.installationId, init.identityFingerprint);
	await confirmKey(b, a);
	return {deployment, a, b};
}

test("Status shows another server's key change without being reopened", async t => {
	const {a, b} = await twoJoinedServers(t);
	await loadDataSources(a, 3);
	const rendered = await renderPage(t, b, 'status', {refreshIntervalMs});
	await waitForFrame(rendered, '(v1; live v1)');
	const result = await changeKey(a, {});
	const output = await waitForFrame(rendered, `Primary key  ${result.fingerprint} (v2`);
	t.false(output.includes('(v1; live v1)'), output);
});

test("Scale-out shows another server's join without being reopened", async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const rendered = await renderPage(t, a, 'scale-out', {refreshIntervalMs});
	await waitForPage(rendered, /TESTHOST A Joined/);
	t.false(frame(rendered).includes('OTHERHOST'));
	const c = await deployment.open('c');
	await initialize(c, {name: 'C', machine: 'OTHERHOST'});
	t.regex(await waitForPage(rendered, /OTHERHOST C Waiting to Join/), /TESTHOST A Joined/);
});

test("Encryption Keys shows another server's Delete without being reopened", async t => {
	const {a, b} = await twoJoinedServers(t);
	await loadDataSources(a, 2);
	const rendered = await renderPage(t, b, 'encryption-keys', {refreshIntervalMs});
	await waitForFrame(rendered, 'version 1');
	const result = await deleteEncryptedContent(a);
	// b's copy was erased with the content: it is back to Waiting to Join, and says so.
	const output = await waitForFrame(rendered, 'Waiting to Join:');
	t.true(output.includes(`Key ${result.fingerprint} · version 2`), output);
});

test('after Delete the page never shows the old key once the Results pane says it is gone', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 2);
	// No polling: only the operation's own refresh can bring the new key.
	const rendered = await renderPage(t, session, 'encryption-keys', {refreshIntervalMs: 3_600_000});
	const before = await waitForFrame(rendered, 'version 1');
	const oldKey = /Key (\S+) · version 1/.exec(before)![1]!;
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, 'Type DELETE');
	await typeText(rendered, 'DELETE');
	await press(rendered, 'enter', 'enter');
	await waitForFrame(rendered, 'Encrypted content deleted');
	const reported = rendered.frames.findIndex(each => each.includes('Encrypted content deleted'));
	const stale = rendered.frames.slice(reported).filter(each => each.includes(oldKey));
	t.deepEqual(stale, []);
	// Later, on the offer to re-enter the data sources: the page shows the new key.
	await waitForPage(rendered, /Open Data Sources now\?/);
	await press(rendered, 'esc');
	t.true((await waitForFrame(rendered, 'version 2')).includes('version 2'));
});

test('Status leads to Data Sources when data source values need re-entry: one Enter', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 2);
	await deleteEncryptedContent(session);
	const rendered = await renderPage(t, session, 'status');
	await waitForFrame(rendered, 'Re-enter on Data Sources');
	await press(rendered, 'enter');
	await waitForFrame(rendered, /┏━ Data Sources/);
	t.regex(frame(rendered), /DS-00000/);
});

test('the end of Delete offers Data Sources, and Enter opens it', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 3);
	const rendered = await renderPage(t, session, 'encryption-keys');
	await waitForFrame(rendered, 'version 1');
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, 'Type DELETE');
	await typeText(rendered, 'DELETE');
	await press(rendered, 'enter', 'enter');
	await waitForPage(rendered, /3 data sources need their credentials entered again\./);
	await press(rendered, 'enter');
	await waitForFrame(rendered, /┏━ Data Sources/);
	t.regex(frame(rendered), /DS-00002/);
});

test('a change no status mark shows (data sources set by another process) still reaches the page, at the slower full read', async t => {
	const {deployment, session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'status', {refreshIntervalMs});
	await waitForFrame(rendered, /Encrypted {4}none/);
	const other = await deployment.open('a');
	await loadDataSources(other, 2);
	t.regex(await waitForFrame(rendered, /Encrypted {4}6 data source values/), /Re-entry {5}none needed/);
});
