import type React from 'react';
import {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {openSession, type Session, type SessionOptions} from '../../core/session.ts';
import {getStatus, statusMark, type StatusReport} from '../../core/status.ts';
import {SessionContext, type SessionState} from '../contexts/session-context.ts';

export type SessionProviderProps = {
	initialSession: Session;
	initialStatus: StatusReport | undefined;
	/** How start.tsx opened the session; switching catalogs keeps the instance directory. */
	options: SessionOptions;
	/**
	 * How often the status is read again on its own, so a page shows another server's key change, join or delete
	 * without being reopened. Tests set it short.
	 */
	refreshIntervalMs?: number;
	children: React.ReactNode;
};

/** A few seconds: what the pages promise ("within a few seconds"); each tick reads only the cheap status mark. */
export const defaultRefreshIntervalMs = 2000;

/** Every this many ticks the whole status is read even when the mark did not move (about a minute by default). */
const fullReadEvery = 30;

export default function SessionProvider({initialSession, initialStatus, options, refreshIntervalMs = defaultRefreshIntervalMs, children}: SessionProviderProps) {
	const [session, setSession] = useState(initialSession);
	const [status, setStatus] = useState(initialStatus);
	const [statusError, setStatusError] = useState<Error | undefined>(undefined);
	const [revision, setRevision] = useState(0);
	const sessionRef = useRef(session);
	sessionRef.current = session;

	const refresh = useCallback(async () => {
		try {
			setStatus(await getStatus(sessionRef.current));
			setStatusError(undefined);
		} catch (error) {
			setStatusError(error as Error);
		}

		setRevision(value => value + 1);
	}, []);

	const switchCatalog = useCallback(
		async (location: string) => {
			const next = await openSession({...options, catalog: location});
			await next.settings.set({catalog: location});
			const previous = sessionRef.current;
			sessionRef.current = next;
			setSession(next);
			await previous.close();
			await refresh();
		},
		[options, refresh],
	);

	// Live pages: every few seconds a cheap mark of the state (statusMark) is read, and the whole status only when the
	// mark moved or a while has passed (a data source set elsewhere moves no mark); it is published only when it
	// changed, so an idle screen neither redraws nor makes the pages that load their own data (revision) read again.
	const statusRef = useRef(status);
	statusRef.current = status;
	useEffect(() => {
		let reading = false;
		let lastMark: string | undefined;
		let lastFullRead = Date.now();
		const readIfMoved = async (from: Session): Promise<StatusReport | undefined> => {
			const mark = await statusMark(from);
			const stale = Date.now() - lastFullRead >= refreshIntervalMs * fullReadEvery;
			if (mark === lastMark && !stale) return undefined;
			lastMark = mark;
			lastFullRead = Date.now();
			return getStatus(from);
		};

		const timer = setInterval(() => {
			if (reading) return;
			reading = true;
			const from = sessionRef.current;
			readIfMoved(from)
				.then(
					next => {
						// A catalog switched meanwhile: this report is about the one before.
						if (from !== sessionRef.current) return;
						setStatusError(undefined);
						if (next === undefined || JSON.stringify(next) === JSON.stringify(statusRef.current)) return;
						setStatus(next);
						setRevision(value => value + 1);
					},
					(error: unknown) => {
						if (from === sessionRef.current) setStatusError(error as Error);
					},
				)
				.finally(() => {
					reading = false;
				});
		}, refreshIntervalMs);
		// The timer alone never keeps the process alive: quitting does not wait for the next tick.
		timer.unref();
		return () => clearInterval(timer);
	}, [refreshIntervalMs]);

	useEffect(() => () => void sessionRef.current.close(), []);

	const value = useMemo<SessionState>(
		() => ({session, status, statusError, revision, refresh, switchCatalog}),
		[session, status, statusError, revision, refresh, switchCatalog],
	);
	return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
