import test from 'ava';
import {render} from 'ink-testing-library';
import App from '../../source/ui/app.tsx';
import {RscmError} from '../../source/errors.ts';
import {UiLifecycle, type ExitReason, type StopOutcome} from '../../source/ui/lifecycle.ts';
import {fixturePages} from '../fixtures/ui-pages.tsx';
import {frame, press, resize, settle, settleUntil} from '../helpers/ink.ts';

// Serial: these render the whole shell and time its key handling; run side by side they starve each other's
// event loop turns and a key can land before the previous frame's effects have run.

async function setup(options: {initialPage?: string; columns?: number; rows?: number} = {}) {
	const stops: ExitReason[] = [];
	const lifecycle = new UiLifecycle({onStop: reason => stops.push(reason)});
	const rendered = render(
		<App pages={fixturePages} title={{machine: 'SRV01', instance: 'RSCM'}} initialPage={options.initialPage} lifecycle={lifecycle} />,
	);
	await resize(rendered, options.columns ?? 80, options.rows ?? 24);
	return {rendered, stops, lifecycle};
}

function lines(output: string): string[] {
	return output.split('\n');
}

test.serial('80×24: title, list, page, Results and hints in rows - 1 lines', async t => {
	const {rendered} = await setup();
	const output = lines(frame(rendered));
	t.is(output.length, 23);
	t.is(output[0], 'Report Server Configuration Manager — SRV01\\RSCM');
	t.true(output.every(line => line.length <= 80));
	t.regex(output[2]!, /^┃› 1 Report Server Status ┃│ Fixture status page/);
	t.regex(output[3]!, /Area 49×14/);
	t.regex(output[17]!, /^┌─ Results ─/);
	t.is(output[22], '↑↓ move  1-0 jump  Enter open  q quit  ? help');
	rendered.unmount();
});

test.serial('moving in the list shows the page at once; Enter focuses it; Esc goes back', async t => {
	const {rendered} = await setup();
	await press(rendered, 'down');
	t.true(frame(rendered).includes('┌─ Service Account ─'));
	t.true(frame(rendered).includes(' Account:'));
	await press(rendered, 'enter');
	t.true(frame(rendered).includes('┏━ Service Account ━'));
	t.true(frame(rendered).includes('›Account:'));
	t.true(frame(rendered).includes('Tab next'));
	await press(rendered, 'esc');
	t.true(frame(rendered).includes('┌─ Service Account ─'));
	t.true(frame(rendered).includes('↑↓ move'));
	rendered.unmount();
});

test.serial('in a text field ? and ← are typing, not help or back; Esc still leaves', async t => {
	const {rendered} = await setup({initialPage: 'service-account'});
	await press(rendered, 'enter', 'a', '?', 'left', 'b');
	t.true(frame(rendered).includes('[ab?'));
	t.false(frame(rendered).includes('Help'));
	t.true(frame(rendered).includes('›Account:'));
	await press(rendered, 'tab', 'tab', 'left');
	t.true(frame(rendered).includes('↑↓ move'), 'outside a text field ← goes back to the list');
	rendered.unmount();
});

test.serial('characters read in one go are separate keys on the list; the rest of the run goes whole into the field', async t => {
	const {rendered} = await setup();
	await press(rendered, '12');
	await settleUntil(() => frame(rendered).includes('┌─ Service Account ─'));
	t.true(frame(rendered).includes('┌─ Service Account ─'), '"12" read at once is 1 then 2, as typed');
	t.true(frame(rendered).includes('↑↓ move'));
	await press(rendered, '1');
	t.true(frame(rendered).includes('Fixture status page'));
	// Jump, open the page, type: the Enter focuses the Account field, which then takes "ab" as one insertion.
	await press(rendered, '2\rab');
	await settleUntil(() => frame(rendered).includes('[ab'));
	t.true(frame(rendered).includes('›Account:'));
	t.true(frame(rendered).includes('[ab'));
	rendered.unmount();
});

test.serial('each key of a run read in one go sees the screen the previous key left: Enter Enter opens the page and presses its button', async t => {
	// React renders on a later turn of the event loop, not inside the key handler: the second Enter must wait for
	// the frame the first one caused (the page focused), or it reaches the list again and is lost.
	for (let attempt = 0; attempt < 5; attempt++) {
		const {rendered} = await setup({initialPage: 'encryption-keys'});
		await press(rendered, '\r\r');
		await settleUntil(() => frame(rendered).includes('Create a new key'));
		t.true(frame(rendered).includes('Create a new key and re-encrypt all content?'), `attempt ${attempt + 1}:\n${frame(rendered)}`);
		rendered.unmount();
	}
});

test.serial('a page reports to the Results pane, newest last', async t => {
	const {rendered} = await setup({initialPage: 'service-account'});
	await press(rendered, 'enter', 'x', 'tab', 'tab', 'tab', 'tab', 'tab');
	await press(rendered, 'enter', 'tab', 'enter');
	const output = frame(rendered);
	t.true(output.indexOf('✔ Applied account x (password not set)') < output.indexOf('✖ Fixture failure'));
	rendered.unmount();
});

test.serial('hidden pages keep their state', async t => {
	const {rendered} = await setup({initialPage: 'service-account'});
	await press(rendered, 'enter', 'k', 'e', 'e', 'p', 'esc', '1');
	t.true(frame(rendered).includes('Fixture status page'));
	await press(rendered, '2');
	t.true(frame(rendered).includes('[keep'));
	rendered.unmount();
});

test.serial('? opens the help overlay over the body; ? closes it', async t => {
	const {rendered} = await setup();
	await press(rendered, '?');
	t.true(frame(rendered).includes('Help — keys'));
	t.true(frame(rendered).includes('Esc cancel'));
	t.is(lines(frame(rendered)).length, 23);
	await press(rendered, 'down');
	await press(rendered, '?');
	t.false(frame(rendered).includes('Help — keys'));
	t.true(frame(rendered).includes('› 1 Report Server Status'), 'keys under the overlay did nothing');
	rendered.unmount();
});

test.serial('below 80×24 only the too-small message shows; back at size the page is intact', async t => {
	const {rendered} = await setup({initialPage: 'service-account'});
	await press(rendered, 'enter', 'x');
	await resize(rendered, 79, 30);
	t.regex(frame(rendered), /^Terminal too small\nThe terminal is 79×30; the Configuration Manager needs at least 80×24/);
	await press(rendered, 'y');
	await resize(rendered, 100, 23);
	t.true(frame(rendered).includes('100×23'));
	t.true(lines(frame(rendered)).length <= 22);
	await resize(rendered, 100, 30);
	t.is(lines(frame(rendered)).length, 29);
	t.true(frame(rendered).includes('[x '), 'typed text survived, and no key reached the hidden page');
	rendered.unmount();
});

test.serial('q quits from the list only; Ctrl+C quits from anywhere', async t => {
	const {rendered, stops} = await setup({initialPage: 'service-account'});
	await press(rendered, 'enter', 'q');
	t.deepEqual(stops, []);
	await press(rendered, 'ctrlC');
	await settle();
	t.deepEqual(stops, ['interrupt']);
	rendered.unmount();

	const second = await setup();
	await press(second.rendered, 'q');
	await settle();
	t.deepEqual(second.stops, ['quit']);
	second.rendered.unmount();
});

test.serial('quitting aborts the exit signal and waits for page clean-ups; Ctrl+C again forces', async t => {
	const stops: ExitReason[] = [];
	const lifecycle = new UiLifecycle({onStop: reason => stops.push(reason), cleanupTimeoutMs: 5000});
	let release!: () => void;
	lifecycle.onExitRequest(
		async () =>
			new Promise<void>(resolve => {
				release = resolve;
			}),
	);
	lifecycle.requestExit('quit');
	t.true(lifecycle.signal.aborted);
	t.is(lifecycle.getState(), 'stopping');
	await settle();
	t.deepEqual(stops, []);
	lifecycle.requestExit('quit');
	t.deepEqual(stops, [], 'a second q does not force');
	lifecycle.requestExit('interrupt');
	t.deepEqual(stops, ['interrupt']);
	release();
	await settle();
	t.deepEqual(stops, ['interrupt'], 'stops once');
});

test.serial('the shell learns what the exit stopped: the errors clean-ups resolve with, and how many were cut short', async t => {
	const outcomes: StopOutcome[] = [];
	const lifecycle = new UiLifecycle({onStop: (_reason, outcome) => outcomes.push(outcome), cleanupTimeoutMs: 5000});
	const cancelled = new RscmError('CANCELLED', 'Key change stopped after 4000 of 60000 values.', {details: {progress: {done: 4000, total: 60_000}}});
	lifecycle.onExitRequest(async () => cancelled);
	lifecycle.onExitRequest(async () => undefined);
	lifecycle.requestExit('interrupt');
	await settle();
	t.deepEqual(outcomes, [{stopped: [cancelled], unfinished: 0}]);

	// A second Ctrl+C while a clean-up still runs: it is counted as unfinished (run-ui says so and exits 130).
	const forced: StopOutcome[] = [];
	const second = new UiLifecycle({onStop: (_reason, outcome) => forced.push(outcome), cleanupTimeoutMs: 5000});
	second.onExitRequest(async () => new Promise<void>(() => undefined));
	second.requestExit('interrupt');
	await settle();
	second.requestExit('interrupt');
	t.deepEqual(forced, [{stopped: [], unfinished: 1}]);
});

test.serial('moving the focus between list and page keeps every panel on the same rows (no blank line appears)', async t => {
	const {rendered} = await setup();
	const before = lines(frame(rendered));
	await press(rendered, 'enter');
	const inside = lines(frame(rendered));
	await press(rendered, 'esc');
	const after = lines(frame(rendered));
	for (const output of [inside, after]) {
		// The first entry and the page's first line stay right under the top border, as before the focus moved.
		t.regex(output[2]!, /^.[ ›] 1 Report Server Status .+ Fixture status page/);
		t.is(output.length, before.length);
	}

	rendered.unmount();
});
