import test from 'ava';
import {render} from 'ink-testing-library';
import {Text} from 'ink';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import App from '../../source/ui/app.tsx';
import {useKeyInput} from '../../source/ui/hooks/use-key-input.ts';
import {computeLayout, minimumSize, navigationWidth} from '../../source/ui/layout.ts';
import {UiLifecycle} from '../../source/ui/lifecycle.ts';
import type {PageDefinition, PageProps} from '../../source/ui/page-types.ts';
import {dataSourceName, joinedInstance, rejectsWithCode} from '../helpers/catalog-fixtures.ts';
import {seedDataSources} from '../helpers/data-source-fixtures.ts';
import {frame, press, resize} from '../helpers/ink.ts';
import {pageText, renderPage, typeText, waitForFrame, waitForPage, type RenderedPage} from '../helpers/page-harness.tsx';

// Serial: each renders the whole shell on a real catalog and times its key handling.

const pageDown = '\u001B[6~';
const pageUp = '\u001B[5~';
const deleteKey = '\u001B[3~';

/** The page panel's rows at 80×24 (inside its border and padding), trimmed: one entry per screen line. */
function pageLines(rendered: RenderedPage): string[] {
	const left = navigationWidth + 2;
	return frame(rendered)
		.split('\n')
		.slice(2, 16)
		.map(line => [...line].slice(left, left + computeLayout(minimumSize).page.width).join('').trimEnd());
}

/** The list rows shown, by name, in screen order. */
function shownNames(rendered: RenderedPage): string[] {
	return pageLines(rendered).flatMap(line => /^[› ] (\S+)\s+conn /.exec(line)?.[1] ?? []);
}

function selectedName(rendered: RenderedPage): string | undefined {
	return pageLines(rendered).flatMap(line => /^› (\S+)\s+conn /.exec(line)?.[1] ?? [])[0];
}

test.serial('Data Sources is the eleventh entry: shown, reached with ↓ after Scale-out; the ten digit jumps still work', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'status');
	await press(rendered, 'esc', '0');
	await waitForFrame(rendered, '─ Scale-out Deployment ─');
	await press(rendered, 'down');
	await waitForFrame(rendered, '─ Data Sources ─');
	t.regex(frame(rendered), /[│┃]› {3}Data Sources {9}[│┃]/);
	await waitForPage(rendered, /No data sources yet: n creates one\./);
	await press(rendered, '8');
	await waitForFrame(rendered, '─ Encryption Keys ─');
	await press(rendered, '1');
	await waitForFrame(rendered, '─ Report Server Status ─');
	// Every line of the frame still fits 80 columns with the eleventh entry.
	t.true(frame(rendered).split('\n').every(line => [...line].length <= 80));
});

test.serial('New: the dialog creates a data source; the list shows it at once with its fields set, the password never on screen', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Existing', {username: 'rs'});
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForPage(rendered, /1 data source\b/);
	await press(rendered, 'n');
	await waitForFrame(rendered, '━ New Data Source ━');
	t.true(pageText(rendered).includes('Empty fields stay unset.'));
	// A name that exists is refused at the Name field, not overwritten.
	await typeText(rendered, 'Existing');
	await press(rendered, 'enter', 'enter', 'enter', 'enter');
	await waitForPage(rendered, /✖ A data source named "Existing" exists already\./);
	t.is((await showDataSource(session, 'Existing')).username, 'rs');
	await press(rendered, 'shiftTab', 'shiftTab', 'shiftTab');
	for (let index = 0; index < 'Existing'.length; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'Sales');
	await press(rendered, 'tab');
	await typeText(rendered, 'Server=sql01;Database=Sales');
	await press(rendered, 'tab');
	await typeText(rendered, 'rs_sales');
	await press(rendered, 'tab');
	await typeText(rendered, 'Hunter2!pw');
	t.true(pageText(rendered).includes('[**********'));
	await press(rendered, 'enter');
	await waitForFrame(rendered, '✔ Data source Sales saved: connection string, user name, password entered');
	await waitForFrame(rendered, /› Sales\s+conn ✔ user ✔ pass ✔/);
	t.regex(pageText(rendered), /2 data sources/);
	t.like(await showDataSource(session, 'Sales'), {connectionString: 'Server=sql01;Database=Sales', username: 'rs_sales', password: 'Hunter2!pw'});
	t.false(rendered.frames.join('\n').includes('Hunter2!pw'));
});

test.serial('Edit after Delete: fields needing re-entry are marked; empty fields keep their value; the row updates at once', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {connectionString: 'Server=sql01', username: 'old', password: 'old-pw'});
	await deleteEncryptedContent(session);
	await setDataSource(session, 'Sales', {username: 'rs_sales'});
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForFrame(rendered, /› Sales\s+conn ! user ✔ pass ! re-entry/);
	await press(rendered, 'enter');
	await waitForFrame(rendered, '━ Edit Data Source ━');
	const dialog = pageText(rendered);
	t.true(dialog.includes('Leave a field empty to keep its value.'));
	t.regex(dialog, /Connection: \[ \] ! needs re-entry: type it again/);
	t.regex(dialog, /User name: \[ \] set \(leave empty to keep\)/);
	t.regex(dialog, /Password: \[ \] ! needs re-entry: type it again/);
	// Only the password is typed again; the connection string stays as it is, the user name is kept.
	await press(rendered, 'tab', 'tab');
	await typeText(rendered, 'new-pw');
	await press(rendered, 'enter');
	await waitForFrame(rendered, '✔ Data source Sales saved: password entered');
	await waitForFrame(rendered, /› Sales\s+conn ! user ✔ pass ✔ re-entry/);
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', username: 'rs_sales', password: 'new-pw', needsReentry: ['connectionString']});
	await press(rendered, 'enter');
	await waitForFrame(rendered, '━ Edit Data Source ━');
	await typeText(rendered, 'Server=sql02');
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, /› Sales\s+conn ✔ user ✔ pass ✔\s*┃/);
	t.false(pageLines(rendered).find(line => line.includes('Sales'))!.includes('re-entry'));
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', connectionString: 'Server=sql02', username: 'rs_sales', password: 'new-pw', needsReentry: []});
});

test.serial('/ filters by a substring in any case, done by the database over 100,000 data sources; Enter keeps it', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 100_000);
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForPage(rendered, /100,000 data sources/);
	await press(rendered, '/');
	await waitForFrame(rendered, '›Filter: [');
	// Typed into the field, not taken as keys: n, x and Backspace do not open a dialog.
	await typeText(rendered, 'ds-0999');
	await press(rendered, 'n', 'backspace');
	await waitForPage(rendered, /10 match/);
	t.deepEqual(shownNames(rendered), Array.from({length: 10}, (_, index) => dataSourceName(9990 + index)));
	await press(rendered, 'enter');
	await waitForPage(rendered, /Filter "ds-0999": 10 match/);
	await press(rendered, 'down', 'down');
	t.is(selectedName(rendered), 'DS-09992');
	// A LIKE wildcard is a plain character: no name has an underscore.
	await press(rendered, '/', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', '_');
	await waitForPage(rendered, /0 match/);
	await waitForPage(rendered, /No data source name contains that text\./);
	await press(rendered, 'backspace', 'enter');
	await waitForPage(rendered, /100,000 data sources/);
	t.is(shownNames(rendered)[0], 'DS-00000');
});

test.serial('100,000 rows: ↑/↓ slide the window at its edges, PgUp/PgDn move a screen, the last screen is full', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 100_000, (index, field) => (field === 'password' && index === 25 ? 'needs-reentry' : 'set'));
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForPage(rendered, /100,000 data sources/);
	// 49×14: a summary line, 12 rows, the legend.
	t.deepEqual(shownNames(rendered), Array.from({length: 12}, (_, index) => dataSourceName(index)));
	t.regex(pageLines(rendered)[13]!, /✔ set · empty ! needs re-entry {2}↓ more/);
	await press(rendered, pageDown, pageDown);
	await waitForFrame(rendered, /› DS-00024/);
	t.deepEqual(shownNames(rendered), Array.from({length: 12}, (_, index) => dataSourceName(24 + index)));
	t.regex(pageLines(rendered).find(line => line.includes('DS-00025'))!, /conn ✔ user ✔ pass ! re-entry/);
	t.regex(pageLines(rendered)[13]!, /↑↓ more/);
	// ↑ at the top row slides the window by one.
	await press(rendered, 'up');
	await waitForFrame(rendered, /› DS-00023/);
	t.is(shownNames(rendered)[0], 'DS-00023');
	// Keys that arrive in one read each move from where the one before left.
	rendered.stdin.write(pageUp.repeat(3));
	await waitForFrame(rendered, /› DS-00000/);
	// The bottom: ↓ past the last row of a screen slides by one.
	await press(rendered, ...Array.from({length: 12}, () => 'down'));
	await waitForFrame(rendered, /› DS-00012/);
	t.deepEqual(shownNames(rendered), Array.from({length: 12}, (_, index) => dataSourceName(1 + index)));
});

test.serial('PgDn to the end of a filtered list shows a full last screen, then moves the cursor to the last row', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 100_000);
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForPage(rendered, /100,000 data sources/);
	// A filter brings the end near: the 1,000 names DS-99000 to DS-99999.
	await press(rendered, '/');
	await typeText(rendered, 'ds-99');
	await press(rendered, 'enter');
	await waitForPage(rendered, /Filter "ds-99": 1,000 match/);
	for (let step = 0; step < 90; step++) rendered.stdin.write(pageDown);
	await waitForFrame(rendered, /DS-99999/, 15_000);
	t.deepEqual(shownNames(rendered), Array.from({length: 12}, (_, index) => dataSourceName(99_988 + index)));
	t.false(pageLines(rendered)[13]!.includes('↓'));
	await press(rendered, pageDown);
	t.is(selectedName(rendered), 'DS-99999');
});

test.serial('x and Delete remove after a confirmation; Cancel (the default) keeps the data source', async t => {
	const {session} = await joinedInstance(t);
	for (const name of ['HR', 'Sales', 'Zeta']) await setDataSource(session, name, {username: 'rs', password: 'pw'});
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForPage(rendered, /3 data sources/);
	await press(rendered, 'down', 'x');
	await waitForFrame(rendered, '━ Remove Data Source ━');
	t.regex(pageText(rendered), /Remove the data source "Sales"\?/);
	await press(rendered, 'enter');
	await waitForPage(rendered, /3 data sources/);
	t.is((await showDataSource(session, 'Sales')).password, 'pw');
	await press(rendered, deleteKey);
	await waitForFrame(rendered, '━ Remove Data Source ━');
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, '✔ Removed data source Sales');
	await waitForPage(rendered, /2 data sources/);
	t.deepEqual(shownNames(rendered), ['HR', 'Zeta']);
	// The cursor stays in place: on the row that followed.
	t.is(selectedName(rendered), 'Zeta');
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'UNKNOWN_DATA_SOURCE');
});

test.serial('at 80×24 a long name is cut with an ellipsis on its own line; nothing passes the page panel', async t => {
	const {session} = await joinedInstance(t);
	const long = `Finance ${'Quarterly '.repeat(8)}Close`;
	await setDataSource(session, long, {connectionString: 'x'});
	const rendered = await renderPage(t, session, 'data-sources');
	await waitForFrame(rendered, 'Finance Quarter');
	const row = pageLines(rendered).find(line => line.includes('Finance'))!;
	t.regex(row, /^› Finance Quarter.*…\s+conn ✔ user · pass ·\s*$/);
	const lines = frame(rendered).split('\n');
	t.is(lines.length, 23);
	t.true(lines.every(line => [...line].length <= 80));
	await press(rendered, 'enter');
	await waitForFrame(rendered, '━ Edit Data Source ━');
	t.true(frame(rendered).split('\n').every(line => [...line].length <= 80));
	await resize(rendered, 120, 40);
	await press(rendered, 'esc');
	await waitForFrame(rendered, /Finance Quarterly Quarterly Quarterly Quarterly/);
});

test.serial('PageProps.open shows another page with the focus inside it', async t => {
	let openFromPage: ((id: string) => void) | undefined;
	function Opener(props: PageProps) {
		openFromPage = props.open;
		useKeyInput(input => {
			if (input === 'o') props.open('target');
		}, {isActive: props.focused});
		return <Text>{props.focused ? 'opener focused' : 'opener'}</Text>;
	}

	function Target({focused}: PageProps) {
		return <Text>{focused ? 'target focused' : 'target shown'}</Text>;
	}

	const pages: PageDefinition[] = [
		{id: 'opener', number: 1, title: 'Opener', component: Opener},
		{id: 'target', number: 11, title: 'Target', component: Target},
	];
	const rendered = render(<App pages={pages} title={{machine: 'M', instance: 'I'}} initialFocus="page" lifecycle={new UiLifecycle({onStop() {}})} />);
	t.teardown(() => rendered.unmount());
	await resize(rendered, 80, 24);
	t.true(frame(rendered).includes('opener focused'));
	await press(rendered, 'o');
	t.true(frame(rendered).includes('━ Target ━'));
	t.true(frame(rendered).includes('target focused'));
	// An unknown id changes nothing.
	openFromPage?.('nowhere');
	await press(rendered, 'x');
	t.true(frame(rendered).includes('target focused'));
});

test.serial('on Data Sources the ? help lists its keys under "Data Sources page" where the height has room; at 80×24 the rest stays whole', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'data-sources', {columns: 120, rows: 40});
	await press(rendered, 'esc', '?');
	await waitForFrame(rendered, 'Help — keys');
	t.regex(frame(rendered), /Data Sources page/);
	t.regex(frame(rendered), /\/ {15}Filter by name/);
	t.regex(frame(rendered), /x \/ Del {9}Remove the selected one \(asks\)/);
	t.regex(frame(rendered), /PgDn {12}Next screen of the list/);
	// Another page's help has no Data Sources keys: they work on that page only.
	await press(rendered, '?', '1', '?');
	await waitForFrame(rendered, 'Help — keys');
	t.false(frame(rendered).includes('Data Sources page'));
	await press(rendered, '?', '0', 'down', '?');
	await waitForFrame(rendered, 'Data Sources page');
	await resize(rendered, 80, 24);
	await waitForFrame(rendered, 'Help — keys');
	for (const title of ['Page list', 'Anywhere', 'Inside a page', 'Dialogs']) t.true(frame(rendered).includes(title), title);
	t.false(frame(rendered).includes('Data Sources page'));
});
