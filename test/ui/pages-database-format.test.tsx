import test from 'ava';
import {formatTime} from '../../source/core/display-format.ts';
import {getStatus} from '../../source/core/status.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {pageText, renderPage, waitForFrame} from '../helpers/page-harness.tsx';

// Issue 12, finding 10: the Database page shows the catalog's creation time as the Status page shows times.
test.serial('Database page: Created reads `YYYY-MM-DD HH:MM UTC`, not the stored ISO timestamp', async t => {
	const {session} = await joinedInstance(t);
	const status = await getStatus(session);
	const createdAt = status.catalog.exists ? status.catalog.createdAt : '';
	t.regex(createdAt, /T\d{2}:\d{2}:\d{2}/);
	const rendered = await renderPage(t, session, 'database');
	await waitForFrame(rendered, 'Created:');
	t.regex(pageText(rendered), new RegExp(`Created: ${formatTime(createdAt)} `));
	t.regex(formatTime(createdAt), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
	t.false(pageText(rendered).includes(createdAt.slice(0, 19)));
});
