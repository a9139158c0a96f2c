import type React from 'react';
import type {RscmError} from '../errors.ts';

/** One line of the Results pane: the outcome of an action, never a secret. */
export type PageResult = {
	ok: boolean;
	message: string;
};

/**
 * Work the shell waits for before it exits. It may resolve with the error the exit stopped an operation with (a key
 * change's CANCELLED): the shell prints it once the terminal is restored, as the commands do, and a Ctrl+C that
 * stopped an operation exits 130 instead of 0.
 */
export type ExitCleanup = () => Promise<ExitOutcome> | ExitOutcome;

/** What a clean-up reports: nothing, or the error its operation ended with. */
export type ExitOutcome = RscmError | void;

export type PageProps = {
	/** True while the keyboard focus is inside this page (not on the list, not under the help overlay). */
	focused: boolean;
	/**
	 * True while this page is the one shown. Visited pages stay mounted when hidden (what was typed, and a running
	 * operation, survive a look at another page); a hidden page should pause its refreshes.
	 */
	visible: boolean;
	/** Columns and rows the page may use; anything taller is clipped by the shell. */
	width: number;
	height: number;
	/** Appends an entry to the Results pane. */
	report: (result: PageResult) => void;
	/** Gives the focus back to the navigation list. */
	leave: () => void;
	/**
	 * Aborted as soon as the user quits (q, Ctrl+C, SIGTERM, SIGHUP). Pass it to long operations so they stop after
	 * their current batch: a key rotation then resumes where it stopped the next time.
	 */
	exitSignal: AbortSignal;
	/**
	 * Registers work the shell waits for before it exits (for example "wait for the running batch to commit").
	 * Returns the function that unregisters it; call that when the work is over.
	 */
	onExitRequest: (cleanup: ExitCleanup) => () => void;
	/**
	 * Shows another page, by its id (`designPages`), with the focus inside it, as if the admin had selected it in the
	 * list and pressed Enter: a page's "go there" line (Status's Re-entry line, Delete's last step) calls
	 * `open('data-sources')`. An unknown id does nothing.
	 */
	open: (pageId: string) => void;
};

export type PageDefinition = {
	id: string;
	/**
	 * The page's place in the list. Pages 1-10 are shown with it and jumped to by typing it (10 as 0); a page after
	 * the tenth has no digit left and is shown without one, reached with ↑/↓.
	 */
	number: number;
	title: string;
	component: React.ComponentType<PageProps>;
	/**
	 * Loads the page's code ahead of its first render (see lazy-page.tsx). The shell preloads every page once the
	 * first frame is on screen; start.tsx awaits the initial page's before drawing it.
	 */
	preload?: () => Promise<void>;
};

/**
 * The pages of the Configuration Manager, in the order of the SSRS Configuration Manager. The registry handed to the shell should
 * use these ids, numbers and titles so an SSRS admin finds each page where they expect it.
 */
export const designPages = [
	{id: 'status', number: 1, title: 'Report Server Status'},
	{id: 'service-account', number: 2, title: 'Service Account'},
	{id: 'web-service-url', number: 3, title: 'Web Service URL'},
	{id: 'database', number: 4, title: 'Database'},
	{id: 'web-portal-url', number: 5, title: 'Web Portal URL'},
	{id: 'email', number: 6, title: 'E-mail Settings'},
	{id: 'execution-account', number: 7, title: 'Execution Account'},
	{id: 'encryption-keys', number: 8, title: 'Encryption Keys'},
	{id: 'subscription-settings', number: 9, title: 'Subscription Settings'},
	{id: 'scale-out', number: 10, title: 'Scale-out Deployment'},
	// Not a page of the SSRS Configuration Manager: SSRS re-enters data source credentials in the web portal.
	{id: 'data-sources', number: 11, title: 'Data Sources'},
] as const satisfies ReadonlyArray<Omit<PageDefinition, 'component'>>;
