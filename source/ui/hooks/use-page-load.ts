import {useCallback, useEffect, useRef, useState} from 'react';
import type {Session} from '../../core/session.ts';
import {toRscmError} from '../../errors.ts';
import {useSession} from '../contexts/session-context.ts';

/** Why a page's data was read: first for this session, again for the same session (shown again, a status refresh), or asked for. */
export type LoadCause = 'shown' | 'refresh' | 'reload';

/**
 * What a page reads from the catalog for itself, beyond the session's status: read each time the page is shown, for
 * a new session (a catalog switch), after every status refresh (`revision`) while it is shown, and when `read`
 * changes (its inputs did). Other servers change the catalog on their own, so a page shown again reads again.
 * `loaded` gets each read's value and why it was read; `reload` reads at once (after an action).
 */
export function usePageLoad<T>(visible: boolean, read: (session: Session) => Promise<T>, loaded: (value: T, cause: LoadCause) => void) {
	const {session, revision} = useSession();
	const [loadError, setLoadError] = useState<string | undefined>(undefined);
	// The latest callback, so a page may pass a new function on every render without causing a read.
	const onLoaded = useRef(loaded);
	onLoaded.current = loaded;

	const load = useCallback(
		async (cause: LoadCause) => {
			try {
				const value = await read(session);
				onLoaded.current(value, cause);
				setLoadError(undefined);
			} catch (error) {
				setLoadError(toRscmError(error).message);
			}
		},
		[read, session],
	);

	// Each show, session, refresh and new `read` reads again; a read for the session read before is a refresh.
	const loadedSession = useRef<Session | undefined>(undefined);
	useEffect(() => {
		if (!visible) return;
		const cause = loadedSession.current === session ? 'refresh' : 'shown';
		loadedSession.current = session;
		void load(cause);
	}, [visible, session, revision, load]);

	const reload = useCallback(async () => load('reload'), [load]);
	return {loadError, reload};
}
