// Package dropin serves a directory of Wasm plugins: every NAME.wasm in it
// is service NAME of the registry, with the settings of NAME.yaml
// (NAME.yml, NAME.json) beside it if there is one: the wasm factory's
// args (config, memory, timeout, allowed_paths, functions, instances),
// less the module, which is the file. `host serve --plugins DIR` uses it.
//
// Adding, replacing or deleting a file while the host runs registers,
// upgrades or removes the service. Changes are seen through file-system
// notification, and a periodic rescan catches what notification missed.
// A plugin's files are loaded once they have been left alone for a while
// (Options.Settle), since a copy writes a module in many writes; an
// editor's save that renames a new file over the old is one more change.
//
// An upgrade never fails a call: the registered service stays the same
// and holds the current build, which a new build replaces once it has
// compiled and started an instance. Calls that had begun finish on the
// old build, which is closed after them; calls that come after the swap
// run on the new one. Files that do not load (an empty module, one that
// does not compile, settings that do not parse, a function the settings
// name that the module lacks) are logged with the file and the reason and
// skipped until they change again, and a version already serving keeps
// serving. Deleting the module unregisters the service; a plugin whose
// service a namespace reset removed is registered again at the next
// rescan, since its file is still there.
//
// A plugin whose files load but whose name cannot be registered (another
// host serves it, or still holds it: a host killed and restarted at once
// finds its names held until its heartbeat expires; or the registry does
// not answer) is logged once and tried again every Options.Retry and at
// each rescan, with the same files, until it registers. Of two hosts
// serving one directory, one serves each plugin, and the other takes it
// over when the first stops serving it.
//
// The registry's max concurrency of a drop-in service is its first
// build's instances; an upgrade that changes instances changes the pool,
// not the registration (a warning says so).
package dropin
