import type React from 'react';
import type {ExecutionContext} from 'ava';
import {render} from 'ink-testing-library';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import App from '../../source/ui/app.tsx';
import KeyDispatchProvider from '../../source/ui/components/KeyDispatchProvider.tsx';
import ModalProvider from '../../source/ui/components/ModalProvider.tsx';
import SessionProvider from '../../source/ui/components/SessionProvider.tsx';
import {navigationWidth} from '../../source/ui/layout.ts';
import {UiLifecycle} from '../../source/ui/lifecycle.ts';
import type {ExitCleanup, ExitOutcome, PageProps, PageResult} from '../../source/ui/page-types.ts';
import {pages} from '../../source/ui/pages/index.ts';
import {frame, resize, settle} from './ink.ts';

// Pages on a real core session, drawn by ink-testing-library: the whole shell opened on one page (renderPage), or one
// page component as the shell gives it its area (renderPageComponent). Both are read with the helpers below.

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

export type RenderedPageComponent = RenderedPage & {
	results: PageResult[];
	/** The page ids the page asked the shell to open (PageProps.open), in order. */
	opened: string[];
	/** Quits the way the shell does: aborts exitSignal, then waits for every registered clean-up; returns their outcomes. */
	requestExit: () => Promise<ExitOutcome[]>;
	cleanups: Set<ExitCleanup>;
};

/**
 * A page component as the shell shows it at 80×24 (page area 49×14), focused, on a real core session wrapped in the
 * SessionProvider, with the key dispatcher and the modal stack the shell provides.
 */
export async function renderPageComponent(
	t: ExecutionContext,
	Page: React.ComponentType<PageProps>,
	session: Session,
	size: {width?: number; height?: number} = {},
): Promise<RenderedPageComponent> {
	const results: PageResult[] = [];
	const opened: string[] = [];
	const exit = new AbortController();
	const cleanups = new Set<ExitCleanup>();
	const status = await getStatus(session);
	const rendered = render(
		<KeyDispatchProvider>
			<ModalProvider>
				<SessionProvider initialSession={session} initialStatus={status} options={{}}>
					<Page
						focused
						visible
						width={size.width ?? 49}
						height={size.height ?? 14}
						report={result => results.push(result)}
						leave={() => undefined}
						exitSignal={exit.signal}
						onExitRequest={cleanup => {
							cleanups.add(cleanup);
							return () => cleanups.delete(cleanup);
						}}
						open={pageId => opened.push(pageId)}
					/>
				</SessionProvider>
			</ModalProvider>
		</KeyDispatchProvider>,
	);
	t.teardown(() => rendered.unmount());
	await settle();
	return Object.assign(rendered, {
		results,
		opened,
		cleanups,
		async requestExit() {
			exit.abort();
			return Promise.all([...cleanups].map(async cleanup => cleanup()));
		},
	});
}

/**
 * How long a wait for the screen lasts before it fails: loads, core calls, KDF runs, rotations and refreshes finish
 * on their own schedule, slower on a loaded machine. A wait ends as soon as what it waits for is there.
 */
const waitLimitMs = 15_000;

/** Waits until the last frame contains the text (or matches). */
export async function waitForFrame(rendered: RenderedPage, text: string | RegExp, timeoutMs = waitLimitMs): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const current = frame(rendered);
		if (typeof text === 'string' ? current.includes(text) : text.test(current)) return current;
		if (Date.now() > deadline) throw new Error(`${String(text)} did not appear within ${timeoutMs} ms:\n${current}`);
		await settle();
	}
}

/** Waits until the page has reported `count` results. */
export async function waitForResults(rendered: RenderedPageComponent, count: number, timeoutMs = waitLimitMs): Promise<PageResult[]> {
	const deadline = Date.now() + timeoutMs;
	while (rendered.results.length < count) {
		if (Date.now() > deadline) throw new Error(`Only ${rendered.results.length} results:\n${frame(rendered)}`);
		await settle();
	}

	await settle();
	return rendered.results;
}

/** Every frame ever rendered, joined: what a terminal recording of the session would hold. */
export function allFrames(rendered: RenderedPage): string {
	return rendered.frames.join('\n');
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
export async function waitForPage(rendered: RenderedPage, pattern: RegExp, timeoutMs = waitLimitMs): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const current = pageText(rendered);
		if (pattern.test(current)) return current;
		if (Date.now() > deadline) throw new Error(`Page never showed ${String(pattern)}:\n${frame(rendered)}`);
		await settle();
	}
}
