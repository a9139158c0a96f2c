import type React from 'react';
import {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {openSession, type Session, type SessionOptions} from '../../core/session.ts';
import {getStatus, type StatusReport} from '../../core/status.ts';
import {SessionContext, type SessionState} from '../contexts/session-context.ts';

export type SessionProviderProps = {
	initialSession: Session;
	initialStatus: StatusReport | undefined;
	/** How start.tsx opened the session; switching catalogs keeps the instance directory. */
	options: SessionOptions;
	children: React.ReactNode;
};

export default function SessionProvider({initialSession, initialStatus, options, children}: SessionProviderProps) {
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

	useEffect(() => () => void sessionRef.current.close(), []);

	const value = useMemo<SessionState>(
		() => ({session, status, statusError, revision, refresh, switchCatalog}),
		[session, status, statusError, revision, refresh, switchCatalog],
	);
	return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
