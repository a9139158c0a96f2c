import {createContext, useContext} from 'react';
import type {Session} from '../../core/session.ts';
import type {StatusReport} from '../../core/status.ts';

/**
 * The one core session the Configuration Manager works on, and the latest status report. Pages read from it and
 * call core operations with `session`; after anything that changes the catalog they call `refresh()` so every page
 * (and the title) shows the new state. `revision` grows on every refresh: pages that load their own data list it as
 * an effect dependency.
 */
export type SessionState = {
	session: Session;
	status: StatusReport | undefined;
	/** Set when the last status load failed (catalog gone, locked …): pages show it instead of stale data. */
	statusError: Error | undefined;
	revision: number;
	refresh: () => Promise<void>;
	/** Database page: point this instance at another catalog (saved in the local settings) and reload. */
	switchCatalog: (location: string) => Promise<void>;
};

export const SessionContext = createContext<SessionState | undefined>(undefined);

export function useSession(): SessionState {
	const state = useContext(SessionContext);
	if (!state) throw new Error('useSession() outside <SessionProvider>');
	return state;
}
