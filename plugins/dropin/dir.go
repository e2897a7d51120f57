package dropin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// Defaults of [Options].
const (
	DefaultSettle = 250 * time.Millisecond
	DefaultRescan = 30 * time.Second
	DefaultRetry  = 2 * time.Second
)

// Options tune a [Dir]; the zero value is the defaults.
type Options struct {
	// Settle is how long a plugin's files must be left alone before they
	// are loaded (default DefaultSettle): a copy writes a module in many
	// writes, and each one restarts the wait.
	Settle time.Duration
	// Rescan is the period of a full look at the directory, a safety net
	// for changes the notifications missed (default DefaultRescan;
	// negative: none). It also registers again a plugin that a namespace
	// reset removed, and tries again the plugins whose name could not be
	// registered.
	Rescan time.Duration
	// Retry is how soon a plugin whose files loaded but whose name could
	// not be registered (taken by another host, the registry unreachable)
	// is tried again, though its files have not changed (default
	// DefaultRetry; negative: at the rescans only). A host that died
	// holds its names until its heartbeat expires (3 s by default), so a
	// host restarted at once finds them taken for a few seconds.
	Retry time.Duration
	// Logger receives what happens to the plugins (default: the
	// registry's).
	Logger *slog.Logger
	// CacheDir is the plugins' compilation cache (wasm.Options.CacheDir).
	CacheDir string
	// OnChange, if set, is called after each change a Dir applies or
	// skips, from the Dir's own goroutine: it must return quickly.
	OnChange func(Change)
}

// Change is what a Dir did with a plugin's files.
type Change struct {
	Name     string // the service
	File     string // the file the change or the error is about
	Version  string // the module's sha256 now serving; "" when none
	Previous string // the sha256 that served before; "" when none
	// Err says why the files were skipped; Version is then the version
	// still serving, if any.
	Err error
}

// Dir serves the plugins of a directory and follows its changes. Close
// it to unregister them.
type Dir struct {
	dir string
	reg *registry.Registry
	o   Options
	log *slog.Logger
	w   *fsnotify.Watcher

	ctx    context.Context // the watcher's life; cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
	drains sync.WaitGroup
	once   sync.Once

	// Owned by run (by Watch before run starts, by Close after it ends).
	plugins map[string]*entry
	pending map[string]time.Time // name -> when its files have settled
}

// entry is one plugin name of the directory.
type entry struct {
	svc  *service    // nil while no build of it has loaded
	seen fingerprint // the files as of the last attempt
	// unclaimed is why the name could not be registered at the last
	// attempt, the files having loaded; nil otherwise. Unlike a file that
	// does not load, such a plugin is tried again with the same files.
	unclaimed error
}

// Watch serves every NAME.wasm of dir as service NAME of reg, with the
// settings of NAME.yaml, NAME.yml or NAME.json beside it if there is one,
// and follows the directory: a file added, replaced or deleted registers,
// upgrades or removes its service. The plugins present are loaded before
// Watch returns; one that fails is logged and skipped, not an error.
func Watch(ctx context.Context, reg *registry.Registry, dir string, o Options) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("dropin: %w", err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("dropin: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("dropin: %s is not a directory", abs)
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Rescan == 0 {
		o.Rescan = DefaultRescan
	}
	if o.Retry == 0 {
		o.Retry = DefaultRetry
	}
	log := o.Logger
	if log == nil {
		log = reg.Logger()
	}
	// Watch before the first listing, so no change falls between them.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("dropin: %w", err)
	}
	if err := w.Add(abs); err != nil {
		w.Close()
		return nil, fmt.Errorf("dropin: watch %s: %w", abs, err)
	}
	d := &Dir{dir: abs, reg: reg, o: o, log: log.With("plugins", abs), w: w, done: make(chan struct{}),
		plugins: map[string]*entry{}, pending: map[string]time.Time{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	names, err := d.list()
	if err != nil {
		d.cancel()
		w.Close()
		return nil, fmt.Errorf("dropin: %w", err)
	}
	for _, name := range names {
		d.sync(ctx, name)
	}
	go d.run()
	return d, nil
}

// run applies the directory's changes once each plugin's files settle.
func (d *Dir) run() {
	defer close(d.done)
	settled := time.NewTimer(time.Hour)
	settled.Stop()
	var rescan <-chan time.Time
	if d.o.Rescan > 0 {
		t := time.NewTicker(d.o.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	arm := func() {
		if len(d.pending) == 0 {
			return
		}
		next := time.Time{}
		for _, at := range d.pending {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		settled.Reset(time.Until(next))
	}
	arm() // Watch's first loads may have left retries due
	for {
		select {
		case <-d.ctx.Done():
			return
		case ev, ok := <-d.w.Events:
			if !ok {
				return
			}
			if name := pluginName(ev.Name); name != "" && filepath.Dir(ev.Name) == d.dir {
				d.pending[name] = time.Now().Add(d.o.Settle)
			}
		case err, ok := <-d.w.Errors:
			if !ok {
				return
			}
			// An overflowed queue lost events: look at everything.
			d.log.Warn("plugin directory notification failed; rescanning", "err", err)
			d.rescan()
		case <-rescan:
			d.rescan()
		case <-settled.C:
			var due []string
			now := time.Now()
			for name, at := range d.pending {
				if !at.After(now) {
					due = append(due, name)
					delete(d.pending, name)
				}
			}
			slices.Sort(due)
			for _, name := range due {
				d.sync(d.ctx, name)
			}
		}
		arm()
	}
}

// rescan marks the plugins whose files differ from those last seen or
// whose name could not be registered, and registers again the plugins a
// namespace reset removed.
func (d *Dir) rescan() {
	names, err := d.list()
	if err != nil {
		d.log.Warn("plugin directory unreadable", "err", err)
		return
	}
	for name := range d.plugins {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	now := time.Now()
	for _, name := range names {
		if e := d.plugins[name]; e == nil || e.seen != d.fingerprint(name) || e.unclaimed != nil {
			d.pending[name] = now
		}
	}
	for name, e := range d.plugins {
		if e.svc != nil {
			d.reassert(name, e.svc)
		}
	}
}

// reassert registers svc again if its name is gone from the namespace.
func (d *Dir) reassert(name string, svc *service) {
	_, err := d.reg.Get(d.ctx, name)
	if !errors.Is(err, registry.ErrNotFound) {
		return
	}
	if _, err := d.reg.RegisterService(d.ctx, name, svc); err != nil {
		d.log.Error("drop-in plugin not registered again", "service", name, "err", err)
		return
	}
	d.log.Info("drop-in plugin registered again (the namespace was reset)", "service", name)
}

// sync makes service name match its files: registers, upgrades, removes,
// or keeps what serves when the files do not load.
func (d *Dir) sync(ctx context.Context, name string) {
	e := d.plugins[name]
	if e == nil {
		e = &entry{}
	}
	before := d.fingerprint(name)
	// A retry with the same files: look the name up first (the registry
	// caches it), rather than compile a build for a name still taken.
	retry := e.unclaimed != nil && e.seen == before
	if retry && !d.free(ctx, name) {
		d.retryLater(name)
		return
	}
	f, err := d.read(name)
	if d.fingerprint(name) != before {
		return // still being written: the writes' own events bring it back
	}
	if err == nil && f.module == nil {
		if e.svc != nil {
			d.remove(ctx, name, e.svc)
		}
		delete(d.plugins, name)
		return
	}
	e.seen = before
	e.unclaimed = nil
	d.plugins[name] = e
	var cur *version
	if e.svc != nil {
		cur = e.svc.cur.Load()
	}
	if err != nil {
		d.skip(name, f.manifestFile, cur, err)
		return
	}
	if len(f.module) == 0 {
		// A copy that has truncated the file but not written yet, or a file
		// emptied: the wasm factory would say only that no module was given.
		d.skip(name, f.moduleFile, cur, fmt.Errorf("%w: empty module file", registry.ErrInvalid))
		return
	}
	key := f.key()
	if cur != nil && cur.key == key {
		return // touched, or written again with the same bytes
	}
	var args wasm.Args
	if f.manifestFile != "" {
		if args, err = parseManifest(d.dir, f.manifestFile, f.manifest); err != nil {
			d.skip(name, f.manifestFile, cur, err)
			return
		}
	}
	args.Module = f.module
	p, err := wasm.New(ctx, args, wasm.Options{Name: name, Registry: d.reg, Logger: d.o.Logger, CacheDir: d.o.CacheDir})
	if err != nil {
		d.skip(name, f.moduleFile, cur, err)
		return
	}
	v := newVersion(p, key)
	if e.svc == nil {
		svc := &service{name: name}
		svc.cur.Store(v)
		if _, err := d.reg.RegisterService(ctx, name, svc); err != nil {
			p.Close()
			if errors.Is(err, registry.ErrInvalid) {
				d.skip(name, f.moduleFile, nil, err) // the name itself: only a new file helps
				return
			}
			// Taken, or the registry unreachable: the name may be free
			// again with the same files (a dead host's entry expires).
			e.unclaimed = err
			d.retryLater(name)
			if retry {
				d.log.Debug("drop-in plugin still waiting for its name", "service", name, "err", err)
				return
			}
			d.log.Warn("drop-in plugin not registered; trying again until its name is free", "service", name, "file", f.moduleFile, "err", err)
			d.notify(Change{Name: name, File: f.moduleFile, Err: err})
			return
		}
		e.svc = svc
		d.log.Info("drop-in plugin serving", "service", name, "file", f.moduleFile, "version", short(p.Version()), "functions", p.Functions())
		d.notify(Change{Name: name, File: f.moduleFile, Version: p.Version()})
		return
	}
	old := e.svc.cur.Swap(v)
	if n, was := p.MaxConcurrency(), old.plugin.MaxConcurrency(); n != was {
		d.log.Warn("drop-in plugin's instances changed; the service keeps the max concurrency it was registered with until its file is removed and added again",
			"service", name, "instances", n, "max_concurrency", was)
	}
	d.retire(old)
	d.log.Info("drop-in plugin upgraded", "service", name, "file", f.moduleFile, "version", short(p.Version()), "previous", short(old.plugin.Version()))
	d.notify(Change{Name: name, File: f.moduleFile, Version: p.Version(), Previous: old.plugin.Version()})
}

// free says whether name can be registered as far as a lookup tells: not
// when it is taken or the registry does not answer.
func (d *Dir) free(ctx context.Context, name string) bool {
	taken, err := d.reg.Contains(ctx, name)
	if err != nil || taken {
		d.log.Debug("drop-in plugin still waiting for its name", "service", name, "taken", taken, "err", err)
		return false
	}
	return true
}

// retryLater tries plugin name again after Options.Retry, unless a change
// of its files is already due sooner.
func (d *Dir) retryLater(name string) {
	if d.o.Retry < 0 {
		return
	}
	at := time.Now().Add(d.o.Retry)
	if due, ok := d.pending[name]; !ok || due.After(at) {
		d.pending[name] = at
	}
}

// skip reports files that do not load; cur, if any, keeps serving.
func (d *Dir) skip(name, file string, cur *version, err error) {
	c := Change{Name: name, File: file, Err: err}
	if cur != nil {
		c.Version = cur.plugin.Version()
		d.log.Error("drop-in plugin skipped; the previous version keeps serving", "service", name, "file", file, "err", err, "version", short(c.Version))
	} else {
		d.log.Error("drop-in plugin skipped", "service", name, "file", file, "err", err)
	}
	d.notify(c)
}

// remove unregisters a plugin whose module is gone and closes it once its
// calls have returned.
func (d *Dir) remove(ctx context.Context, name string, svc *service) {
	if err := d.reg.Unregister(ctx, name); err != nil && !errors.Is(err, registry.ErrNotFound) {
		d.log.Warn("drop-in plugin not unregistered", "service", name, "err", err)
	}
	old := svc.cur.Swap(nil)
	d.retire(old)
	d.log.Info("drop-in plugin removed", "service", name, "version", short(old.plugin.Version()))
	d.notify(Change{Name: name, File: filepath.Join(d.dir, name+".wasm"), Previous: old.plugin.Version()})
}

// retire closes v once the calls it runs have returned (at once when the
// Dir closes).
func (d *Dir) retire(v *version) {
	d.drains.Add(1)
	go func() {
		defer d.drains.Done()
		select {
		case <-v.retire():
		case <-d.ctx.Done():
		}
		v.plugin.Close()
	}()
}

func (d *Dir) notify(c Change) {
	if d.o.OnChange != nil {
		d.o.OnChange(c)
	}
}

// Close stops following the directory, unregisters its plugins and
// closes them (calls still running end with an error).
func (d *Dir) Close() error {
	var err error
	d.once.Do(func() {
		d.cancel()
		err = d.w.Close()
		<-d.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for name, e := range d.plugins {
			if e.svc == nil {
				continue
			}
			if uerr := d.reg.Unregister(ctx, name); uerr != nil && !errors.Is(uerr, registry.ErrNotFound) && !errors.Is(uerr, registry.ErrClosed) {
				d.log.Warn("drop-in plugin not unregistered", "service", name, "err", uerr)
			}
			d.retire(e.svc.cur.Swap(nil))
		}
		d.drains.Wait()
	})
	return err
}

// short is a version as logs and `host plugins` show it.
func short(sum string) string { return sum[:min(12, len(sum))] }
