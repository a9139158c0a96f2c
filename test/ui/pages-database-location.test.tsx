import {initialize} from '../../source/core/initialize.ts';
import {newDeployment, openTestSession} from '../helpers/catalog-fixtures.ts';
import {postgresLocation, postgresTest} from '../helpers/postgres-server.ts';
import {pageText, renderPage, waitForPage} from '../helpers/page-harness.tsx';

const withPostgres = await postgresTest('Database page location');

withPostgres('the Database page shows a PostgreSQL location whole at 80×24: its schema is the part that says which catalog', async t => {
	const deployment = await newDeployment(t);
	const location = postgresLocation(t);
	const session = await openTestSession(t, location, deployment.instanceDirectory('a'));
	await initialize(session, {name: 'A', machine: 'TESTHOST'});
	const rendered = await renderPage(t, session, 'database');
	await waitForPage(rendered, /Catalog id:/);
	const schema = new URL(location).searchParams.get('schema')!;
	// Wrapped over two lines of the page rather than cut: joined again, the URL is all there.
	t.true(pageText(rendered).replaceAll(' ', '').includes(location.replaceAll(' ', '')), pageText(rendered));
	t.true(pageText(rendered).includes(schema.slice(-6)));
});
