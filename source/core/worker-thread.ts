import {Worker, type ResourceLimits} from 'node:worker_threads';

/**
 * Starts the worker thread whose module is `name`, a sibling of the calling module (`callerUrl` is its
 * import.meta.url). In the bundle (scripts/build.js) each worker is an entry of its own in dist/, and the caller sits
 * in dist/ or in a chunk in dist/chunks/. Under tsx (the tests) the worker is the sibling .ts file; a worker thread
 * does not inherit the main thread's module hooks, so it registers tsx itself first.
 */
export function startSiblingWorker(callerUrl: string, name: string, resourceLimits?: ResourceLimits): Worker {
	const limits = resourceLimits === undefined ? {} : {resourceLimits};
	if (!callerUrl.endsWith('.ts')) {
		return new Worker(new URL(callerUrl.includes('/chunks/') ? `../${name}.js` : `${name}.js`, callerUrl), limits);
	}

	const worker = new URL(`${name}.ts`, callerUrl).href;
	const api = import.meta.resolve('tsx/esm/api');
	return new Worker(`import(${JSON.stringify(api)}).then(tsx => { tsx.register(); return import(${JSON.stringify(worker)}); });`, {eval: true, ...limits});
}
