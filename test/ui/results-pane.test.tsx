import test from 'ava';
import ResultsPane, {toOneLine, type ResultEntry} from '../../source/ui/components/ResultsPane.tsx';
import {frame} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

const entries: ResultEntry[] = Array.from({length: 6}, (_, index) => ({
	id: index + 1,
	ok: index % 2 === 0,
	message: `Action ${index + 1}`,
}));

test('titled Results; ✔/✖ per entry; newest last; only the last that fit', t => {
	const rendered = renderUi(<ResultsPane entries={entries} width={40} height={5} />);
	const lines = frame(rendered).split('\n');
	t.is(lines.length, 5);
	t.regex(lines[0]!, /^┌─ Results ─+┐$/);
	t.deepEqual(
		lines.slice(1, 4).map(line => line.slice(1, -1).trim()),
		['✖ Action 4', '✔ Action 5', '✖ Action 6'],
	);
	rendered.unmount();
});

test('empty pane says so', t => {
	const rendered = renderUi(<ResultsPane entries={[]} width={40} height={5} />);
	t.true(frame(rendered).includes('No actions yet.'));
	rendered.unmount();
});

test('messages are one line with no control characters, long ones truncated', t => {
	t.is(toOneLine('bad\u001B[31m file\nname\t!'), 'bad␛[31m file name !');
	const rendered = renderUi(<ResultsPane entries={[{id: 1, ok: false, message: 'x'.repeat(100)}]} width={30} height={3} />);
	const lines = frame(rendered).split('\n');
	t.is(lines.length, 3);
	t.true(lines.every(line => line.length <= 30));
	rendered.unmount();
});

test('the newest entry is shown whole over the free lines; older ones keep one line each, cut with an ellipsis', t => {
	const long = 'Created the catalog at /var/lib/rscm/production/catalog.db; key 79a3-51c2-0d4e-8f11 has never been backed up';
	const older: ResultEntry = {id: 1, ok: false, message: `An older failure ${'that goes on '.repeat(6)}and on`};
	const rendered = renderUi(<ResultsPane entries={[older, {id: 2, ok: true, message: long}]} width={80} height={5} />);
	const lines = frame(rendered).split('\n').slice(1, 4).map(line => line.slice(1, -1).trim());
	t.is(lines[0], `✖ ${older.message}`.slice(0, 75) + '…');
	t.is(`${lines[1]} ${lines[2]}`, `✔ ${long}`);
	rendered.unmount();
});

test('a newest entry longer than the pane ends with an ellipsis, never cut silently', t => {
	const rendered = renderUi(<ResultsPane entries={[{id: 1, ok: true, message: 'word '.repeat(60).trim()}]} width={30} height={5} />);
	const lines = frame(rendered).split('\n').slice(1, 4).map(line => line.slice(1, -1).trimEnd());
	t.is(lines.length, 3);
	t.true(lines[2]!.endsWith('…'), lines.join('\n'));
	rendered.unmount();
});
