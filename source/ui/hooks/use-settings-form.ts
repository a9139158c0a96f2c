import {useRef, useState} from 'react';
import type {Session} from '../../core/session.ts';
import {useSession} from '../contexts/session-context.ts';
import type {PageResult} from '../page-types.ts';
import {useFieldError} from './use-field-error.ts';
import {useFormSubmit} from './use-form-submit.ts';
import {usePageLoad} from './use-page-load.ts';

export type SettingsFormOptions<Saved, Form> = {
	visible: boolean;
	report: (result: PageResult) => void;
	/** Reads the saved settings; a stable function (module level or useCallback), or every render reads again. */
	read: (session: Session) => Promise<Saved>;
	/** The fields for saved settings: a saved password is never shown, so its field starts empty. */
	toForm: (saved: Saved) => Form;
	/** The fields until the first read is back. */
	initial: Form;
};

/**
 * A settings page (E-mail, Execution Account, Subscription Settings): the saved settings read as the page is shown,
 * the fields they fill, and Apply. A status refresh reads them again but replaces the fields only while the admin has
 * edited none, so it never wipes what is being typed; a successful Apply reads them back into the fields (a password
 * typed is cleared, the saved one is noted). Apply runs once at a time through useFormSubmit, which reports a failure
 * and puts it at its field; the session's status is read again before the outcome is reported.
 */
export function useSettingsForm<Saved, Form>({visible, report, read, toForm, initial}: SettingsFormOptions<Saved, Form>) {
	const {refresh} = useSession();
	const [form, setFields] = useState<Form>(initial);
	const [saved, setSaved] = useState<Saved | undefined>(undefined);
	// Whether the fields were edited since they were last filled from the saved settings. A ref, not state: a read
	// that comes back decides with the edits made while it ran, and nothing on screen depends on it.
	const edited = useRef(false);

	const {loadError, reload} = usePageLoad(visible, read, (value, cause) => {
		setSaved(value);
		if (cause === 'refresh' && edited.current) return;
		setFields(toForm(value));
		edited.current = false;
	});

	const errors = useFieldError();
	const {work, submit} = useFormSubmit(report, errors);

	/** Changes the fields (an edit: a status refresh keeps them from now until the next Apply). */
	const setForm = (change: (previous: Form) => Form) => {
		setFields(change);
		edited.current = true;
	};

	/** Apply: `action` saves the fields; `success` is the Results line. */
	const apply = async <T,>(action: () => Promise<T>, success: (result: T) => string) =>
		submit(
			async () => {
				try {
					return await action();
				} finally {
					await refresh();
				}
			},
			(result, open) => {
				report({ok: true, message: success(result)});
				if (open) void reload();
			},
		);

	return {form, setForm, saved, loadError, errors, apply, applying: work !== undefined};
}
