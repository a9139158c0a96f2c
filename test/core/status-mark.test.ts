import test from 'ava';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {initialize} from '../../source/core/initialize.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {getStatus, statusMark} from '../../source/core/status.ts';
import {joinedInstance, loadDataSources, newDeployment} from '../helpers/catalog-fixtures.ts';

test('the status mark moves with every key operation and every registration, and not with a read', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, 2);
	const marks = [await statusMark(session)];
	await getStatus(session);
	t.is(await statusMark(session), marks[0]!, 'reading the status changes nothing');
	await changeKey(session, {});
	marks.push(await statusMark(session));
	await initialize(await deployment.open('b'), {name: 'B', machine: 'OTHER'});
	marks.push(await statusMark(session));
	await deleteEncryptedContent(session);
	marks.push(await statusMark(session));
	t.is(new Set(marks).size, marks.length, JSON.stringify(marks));
});

test('without a catalog the mark says so', async t => {
	const deployment = await newDeployment(t);
	t.is(await statusMark(await deployment.open('a')), 'no catalog');
});
