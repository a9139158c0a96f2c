import {useState} from 'react';
import test from 'ava';
import NavigationList, {navigationListWidth} from '../../source/ui/components/NavigationList.tsx';
import {bindings} from '../../source/ui/key/bindings.ts';
import {pageJump, pageNumberForDigit} from '../../source/ui/key/page-jump.ts';
import {navigationWidth} from '../../source/ui/layout.ts';
import {designPages} from '../../source/ui/page-types.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

function Harness({focused = true, onEnter = () => {}}: {focused?: boolean; onEnter?: (id: string) => void}) {
	const [selected, setSelected] = useState('status');
	return (
		<NavigationList pages={designPages} selectedId={selected} focused={focused} width={25} onSelect={setSelected} onEnter={onEnter} />
	);
}

function selectedLine(output: string): string | undefined {
	return output.split('\n').find(line => line.startsWith('›'));
}

test('lists the ten pages in SSRS order, numbered, the selection marked, then Data Sources without a number', t => {
	const rendered = renderUi(<Harness />);
	const lines = frame(rendered).split('\n');
	t.is(lines.length, 11);
	t.is(lines[0]!.trimEnd(), '› 1 Report Server Status');
	t.is(lines[7]!.trimEnd(), '  8 Encryption Keys');
	t.is(lines[9]!.trimEnd(), ' 10 Scale-out Deployment');
	t.is(lines[10]!.trimEnd(), '    Data Sources');
	rendered.unmount();
});

test('the eleventh page is reached with ↓ past the tenth; the digits still jump to pages 1-10 only', async t => {
	const rendered = renderUi(<Harness />);
	await press(rendered, '0', 'down');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '›   Data Sources');
	await press(rendered, 'down');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '›   Data Sources');
	await press(rendered, 'up');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '›10 Scale-out Deployment');
	for (const digit of '1234567890') {
		await press(rendered, digit);
		t.not(selectedLine(frame(rendered))?.trimEnd(), '›   Data Sources', digit);
	}

	await press(rendered, '9');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '› 9 Subscription Settings');
	rendered.unmount();
});

test('the list column is as wide as its longest entry, from the registry', t => {
	t.is(navigationListWidth(designPages), '› 9 Subscription Settings'.length);
	t.is(navigationWidth, navigationListWidth(designPages) + 2);
	t.is(navigationListWidth([...designPages, {id: 'x', number: 12, title: 'A Much Longer Page Title Here'}]), 1 + 3 + 'A Much Longer Page Title Here'.length);
	// Without Subscription Settings, the longest entry is "›10 Scale-out Deployment".
	t.is(navigationListWidth(designPages.filter(page => page.id !== 'subscription-settings')), '›10 Scale-out Deployment'.length);
});

test('the jump keys follow the registry: a digit for each of the first ten pages, and the binding uses them', t => {
	const jump = bindings.find(binding => binding.id === 'list.jump')!;
	t.deepEqual(jump.keys, pageJump(designPages).digits.map(char => ({char})));
	t.is(jump.label, '1-9, 0');
	t.is(jump.hint?.keys, '1-0');
	t.deepEqual(pageJump(designPages).digits, [...'1234567890']);
	// Four pages: 1-4 and nothing else.
	const four = pageJump(designPages.slice(0, 4));
	t.deepEqual(four.digits, ['1', '2', '3', '4']);
	t.like(four, {label: '1-4', hint: '1-4', description: 'Jump to page 1-4'});
	// A twelfth page, like the eleventh, has no digit.
	const twelve = pageJump([...designPages, {number: 12}]);
	t.deepEqual(twelve.digits, [...'1234567890']);
	t.like(twelve, {label: '1-9, 0', hint: '1-0'});
	t.is(pageNumberForDigit('5'), 5);
});

test('↑/↓ and k/j move the selection, stopping at the ends', async t => {
	const rendered = renderUi(<Harness />);
	await press(rendered, 'down', 'j');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '› 3 Web Service URL');
	await press(rendered, 'k', 'up', 'up');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '› 1 Report Server Status');
	rendered.unmount();
});

test('digits jump to a page; 0 is the tenth', async t => {
	const rendered = renderUi(<Harness />);
	await press(rendered, '8');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '› 8 Encryption Keys');
	await press(rendered, '0');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '›10 Scale-out Deployment');
	t.is(pageNumberForDigit('0'), 10);
	t.is(pageNumberForDigit('x'), undefined);
	rendered.unmount();
});

test('Enter, → and Tab enter the selected page', async t => {
	const entered: string[] = [];
	const rendered = renderUi(<Harness onEnter={id => entered.push(id)} />);
	await press(rendered, 'enter', 'down', 'right', 'tab');
	t.deepEqual(entered, ['status', 'service-account', 'service-account']);
	rendered.unmount();
});

test('without focus it ignores keys', async t => {
	const rendered = renderUi(<Harness focused={false} />);
	await press(rendered, 'down', '5');
	t.is(selectedLine(frame(rendered))?.trimEnd(), '› 1 Report Server Status');
	rendered.unmount();
});

test('a short list area scrolls to keep the selection visible', async t => {
	function Short() {
		const [selected, setSelected] = useState('status');
		return <NavigationList pages={designPages} selectedId={selected} focused width={25} height={4} onSelect={setSelected} onEnter={() => {}} />;
	}

	const rendered = renderUi(<Short />);
	t.is(frame(rendered).split('\n').length, 4);
	await press(rendered, '9');
	t.true(frame(rendered).includes('› 9 Subscription Settings'));
	rendered.unmount();
});
