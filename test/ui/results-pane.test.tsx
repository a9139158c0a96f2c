import test from 'ava';
import {render} from 'ink-testing-library';
import ResultsPane, {toOneLine, type ResultEntry} from '../../source/ui/components/ResultsPane.tsx';
import {frame} from '../helpers/ink.ts';

const entries: ResultEntry[] = Array.from({length: 6}, (_, index) => ({
	id: index + 1,
	ok: index % 2 === 0,
	message: `Action ${index + 1}`,
}));

test('titled Results; ✔/✖ per entry; newest last; only the last that fit', t => {
	const rendered = render(<ResultsPane entries={entries} width={40} height={5} />);
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
	const rendered = render(<ResultsPane entries={[]} width={40} height={5} />);
	t.true(frame(rendered).includes('No actions yet.'));
	rendered.unmount();
});

test('messages are one line with no control characters, long ones truncated', t => {
	t.is(toOneLine('bad\u001B[31m file\nname\t!'), 'bad␛[31m file name !');
	const rendered = render(<ResultsPane entries={[{id: 1, ok: false, message: 'x'.repeat(100)}]} width={30} height={3} />);
	const lines = frame(rendered).split('\n');
	t.is(lines.length, 3);
	t.true(lines.every(line => line.length <= 30));
	rendered.unmount();
});
