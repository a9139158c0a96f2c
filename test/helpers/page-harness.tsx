import type {ExecutionContext} from 'ava';
import {render} from 'ink-testing-library';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import App from '../../source/ui/app.tsx';
import {navigationWidth} from '../../source/ui/layout.ts';
import SessionProvider from '../../source/ui/components/SessionProvider.tsx';
import {UiLifecycle} from '../../source/ui/lifecycle.ts';
import {pages} from '../../source/ui/pages/index.ts';
import {frame, resize, settle} from './ink.ts';

export type RenderedPage = ReturnType<typeof render>;

/**
 * The real shell with the real pages on a real session (a temp SQLite catalog), opened on one page with the focus
 * inside it, at 80×24: what an admin sees, minus the pseudo-terminal.
 */
export async function renderPage(
	t: ExecutionContext,
	session: Session,
	pageId: string,
	options: {catalog?: string; columns?: number; rows?: number; refreshIntervalMs?: number} = {},
): Promise<RenderedPage> {
	const status = await getStatus(session);
	// As start.tsx does: the initial page's code is loaded before the first frame.
	await pages.find(page => page.id === pageId)?.preload?.();
	const rendered = render(
		<SessionProvider
			initialSession={session}
			initialStatus={status}
			options={{catalog: options.catalog, instanceDirectory: session.instanceDirectory, env: {}}}
			refreshIntervalMs={options.refreshIntervalMs}
		>
			<App
				pages={pages}
				title={{machine: 'TESTHOST', instance: 'A'}}
				initialPage={pageId}
				initialFocus="page"
				lifecycle={new UiLifecycle({onStop() {}})}
			/>
		</SessionProvider>,
	);
	t.teardown(() => rendered.unmount());
	await resize(rendered, options.columns ?? 80, options.rows ?? 24);
	return rendered;
}

/** Waits (briefly) until the frame contains the text: loads and core calls finish on their own schedule. */
export async function waitForFrame(rendered: RenderedPage, text: string | RegExp, timeoutMs = 5000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const current = frame(rendered);
		if (typeof text === 'string' ? current.includes(text) : text.test(current)) return current;
		if (Date.now() > deadline) throw new Error(`Frame never showed ${String(text)}:\n${current}`);
		await settle();
	}
}

/** Types text into the focused field as one chunk (a paste), then lets it render. */
export async function typeText(rendered: RenderedPage, text: string): Promise<void> {
	rendered.stdin.write(text);
	await settle();
}

/**
 * The page panel's text as one line: the navigation column cut off, borders removed, whitespace collapsed, so a
 * sentence that wraps at 49 columns still reads as one.
 */
export function pageText(rendered: RenderedPage): string {
	return frame(rendered)
		.split('\n')
		.map(line => [...line].slice(navigationWidth).join(''))
		.join(' ')
		.replaceAll(/[│┃┏┓┗┛━─┌┐└┘]/g, ' ')
		.replaceAll(/\s+/g, ' ');
}

/** Waits until the page panel's flattened text (see pageText) matches. */
export async function waitForPage(rendered: RenderedPage, pattern: RegExp, timeoutMs = 5000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const current = pageText(rendered);
		if (pattern.test(current)) return current;
		if (Date.now() > deadline) throw new Error(`Page never showed ${String(pattern)}:\n${frame(rendered)}`);
		await settle();
	}
}
