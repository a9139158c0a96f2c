import test from 'ava';
import type React from 'react';
import {useState} from 'react';
import {Text} from 'ink';
import {useKeyInput} from '../../source/ui/hooks/use-key-input.ts';
import {lazyPage} from '../../source/ui/lazy-page.tsx';
import type {PageProps} from '../../source/ui/page-types.ts';
import {frame, press, settle, settleUntil} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

const props: PageProps = {
	focused: true,
	visible: true,
	width: 40,
	height: 10,
	report() {},
	leave() {},
	exitSignal: new AbortController().signal,
	onExitRequest: () => () => {},
	open() {},
};

/** A page that shows what was typed into it. */
function TypingPage({focused}: PageProps) {
	const [typed, setTyped] = useState('');
	useKeyInput(input => setTyped(previous => previous + input), {isActive: focused});
	return <Text>typed: [{typed}]</Text>;
}

/** Stands for the shell: it hears the keys a page does not take. */
function Listener() {
	const [heard, setHeard] = useState('');
	useKeyInput(input => setHeard(previous => previous + input));
	return <Text>heard: [{heard}]</Text>;
}

/** A lazy TypingPage whose code "arrives" when the test says so. */
function gatedPage() {
	let open!: () => void;
	let fail!: (error: Error) => void;
	const arrived = new Promise<void>((resolve, reject) => {
		open = resolve;
		fail = reject;
	});
	const Page = lazyPage(async () => {
		await arrived;
		return {default: TypingPage};
	});
	return {Page, open, fail};
}

/** The page under the app's key dispatcher, beside a Listener standing for the shell. */
function renderInShell(Page: React.ComponentType<PageProps>, holdLimitMs?: number) {
	return renderUi(
		<>
			<Listener />
			<Page {...props} />
		</>,
		{holdLimitMs},
	);
}

test('a lazy page shows Loading… until its code is there, then the page', async t => {
	const {Page, open} = gatedPage();
	const rendered = renderInShell(Page);
	await settle();
	t.true(frame(rendered).includes('Loading…'));
	open();
	await settle();
	t.true(frame(rendered).includes('typed: []'));
	rendered.unmount();
});

test('a preloaded page renders at once, without Loading…', async t => {
	const Page = lazyPage(async () => ({default: TypingPage}));
	await Page.preload();
	const rendered = renderUi(<Page {...props} />);
	t.true(frame(rendered).includes('typed: []'));
	rendered.unmount();
});

test('keys typed while a page loads wait for it and reach it in order', async t => {
	const {Page, open} = gatedPage();
	const rendered = renderInShell(Page);
	await press(rendered, 'a', 'bc');
	t.true(frame(rendered).includes('Loading…'));
	open();
	await settleUntil(() => frame(rendered).includes('typed: [abc]'));
	t.true(frame(rendered).includes('typed: [abc]'), frame(rendered));
	rendered.unmount();
});

test('a page that fails to load says so, and the keys held for it are released', async t => {
	const {Page, fail} = gatedPage();
	const rendered = renderInShell(Page);
	await press(rendered, 'x');
	t.true(frame(rendered).includes('heard: []'), 'held while the page loads');
	fail(new Error('chunk missing'));
	await settle();
	t.true(frame(rendered).includes('✖ This page could not be loaded: chunk missing'));
	t.true(frame(rendered).includes('reinstall rscm'));
	t.true(frame(rendered).includes('heard: [x]'));
	rendered.unmount();
});

test('a page whose code never arrives holds the keys for the hold limit at most; Ctrl+C is never held', async t => {
	const {Page} = gatedPage();
	// The limit is 3 s in the app; here long enough for the two keys below, and short enough not to wait for.
	const rendered = renderInShell(Page, 1000);
	await press(rendered, 'q');
	t.true(frame(rendered).includes('heard: []'));
	await press(rendered, 'ctrlC');
	t.true(frame(rendered).includes('heard: [c]'), 'Ctrl+C (heard as "c" with ctrl) goes past the held q');
	await settleUntil(() => frame(rendered).includes('heard: [cq]'), 10_000);
	t.true(frame(rendered).includes('heard: [cq]'));
	t.true(frame(rendered).includes('Loading…'));
	rendered.unmount();
});
