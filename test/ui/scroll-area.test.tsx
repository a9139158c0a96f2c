import test from 'ava';
import ScrollArea from '../../source/ui/components/ScrollArea.tsx';
import {Text} from '../../source/ui/components/Text.tsx';
import {frame, press, settleUntil} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

const rows = (count: number) => Array.from({length: count}, (_, index) => <Text key={index}>{`row ${index + 1}`}</Text>);

test('content that fits is drawn whole, with no marker', async t => {
	const rendered = renderUi(<ScrollArea width={30} height={5} active>{rows(5)}</ScrollArea>);
	await settleUntil(() => frame(rendered).includes('row 5'));
	t.deepEqual(frame(rendered).split('\n').map(line => line.trimEnd()), ['row 1', 'row 2', 'row 3', 'row 4', 'row 5']);
	rendered.unmount();
});

test('taller content says how much is below; ↓ scrolls one line, ↑ back; the last row says what is above at the end', async t => {
	const rendered = renderUi(<ScrollArea width={30} height={4} active>{rows(6)}</ScrollArea>);
	await settleUntil(() => frame(rendered).includes('more lines'));
	t.deepEqual(frame(rendered).split('\n').map(line => line.trimEnd()), ['row 1', 'row 2', 'row 3', '↓ 3 more lines (↓ scrolls)']);
	await press(rendered, 'down');
	t.deepEqual(frame(rendered).split('\n').map(line => line.trimEnd()), ['row 2', 'row 3', 'row 4', '↓ 2 more lines (↓ scrolls)']);
	await press(rendered, 'down', 'down', 'down', 'down');
	t.deepEqual(frame(rendered).split('\n').map(line => line.trimEnd()), ['row 4', 'row 5', 'row 6', '↑ 3 lines above (↑ scrolls)']);
	await press(rendered, 'up');
	t.is(frame(rendered).split('\n')[0], 'row 3');
	rendered.unmount();
});

test('inactive, it does not scroll and says how to', async t => {
	const rendered = renderUi(<ScrollArea width={50} height={3} active={false}>{rows(5)}</ScrollArea>);
	await settleUntil(() => frame(rendered).includes('more'));
	await press(rendered, 'down');
	t.deepEqual(frame(rendered).split('\n').map(line => line.trimEnd()), ['row 1', 'row 2', '↓ 3 more lines (enter the page to scroll)']);
	rendered.unmount();
});
