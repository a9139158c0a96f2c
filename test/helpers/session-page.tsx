import type React from 'react';
import {setTimeout as delay} from 'node:timers/promises';
import type {ExecutionContext} from 'ava';
import {render} from 'ink-testing-library';
import {getStatus} from '../../source/core/status.ts';
import type {Session} from '../../source/core/session.ts';
import KeyDispatchProvider from '../../source/ui/components/KeyDispatchProvider.tsx';
import ModalProvider from '../../source/ui/components/ModalProvider.tsx';
import SessionProvider from '../../source/ui/components/SessionProvider.tsx';
import type {ExitCleanup, ExitOutcome, PageProps, PageResult} from '../../source/ui/page-types.ts';
import {frame, settle} from './ink.ts';

export type RenderedPage = ReturnType<typeof render> & {
	results: PageResult[];
	/** The page ids the page asked the shell to open (PageProps.open), in order. */
	opened: string[];
	/** Quits the way the shell does: aborts exitSignal, then waits for every registered clean-up; returns their outcomes. */
	requestExit: () => Promise<ExitOutcome[]>;
	cleanups: Set<ExitCleanup>;
};

/**
 * A page as the shell shows it at 80×24 (page area 49×14), focused, on a real core session wrapped in the
 * SessionProvider, with the key dispatcher and the modal stack the shell provides.
 */
export async function renderPage(
	t: ExecutionContext,
	Page: React.ComponentType<PageProps>,
	session: Session,
	size: {width?: number; height?: number} = {},
): Promise<RenderedPage> {
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

/** Waits until the last frame matches (KDF runs, rotations and refreshes take real time). */
export async function waitForFrame(rendered: RenderedPage, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const output = frame(rendered);
		if (typeof text === 'string' ? output.includes(text) : text.test(output)) return output;
		if (Date.now() > deadline) throw new Error(`${String(text)} did not appear within ${timeoutMs} ms:\n${output}`);
		await delay(20);
	}
}

/** Waits until the page has reported `count` results. */
export async function waitForResults(rendered: RenderedPage, count: number, timeoutMs = 15_000): Promise<PageResult[]> {
	const deadline = Date.now() + timeoutMs;
	while (rendered.results.length < count) {
		if (Date.now() > deadline) throw new Error(`Only ${rendered.results.length} results:\n${frame(rendered)}`);
		await delay(20);
	}

	await settle();
	return rendered.results;
}

/** Every frame ever rendered, joined: what a terminal recording of the session would hold. */
export function allFrames(rendered: RenderedPage): string {
	return rendered.frames.join('\n');
}
