package redis

import goredis "github.com/redis/go-redis/v9"

// Every key of a namespace shares the hash tag {ns}, so the scripts below
// touch one slot and run unchanged on Redis Cluster. Key names built inside a
// script from ARGV[1] (the prefix) stay in that slot too.
//
// Layout under the prefix "sandhost:{ns}:":
//   specs        hash  name -> spec JSON
//   owners       hash  name -> host ID
//   gens         hash  name -> generation the spec was claimed in
//   gen          string, the namespace's generation (new at every reset)
//   hosts        set   of host IDs that have beaten at least once
//   host:ID      string host info JSON, expires with the heartbeat
//   q:svc:NAME   stream of calls to a service (consumer group "g")
//   q:host:ID    stream of control calls to a host (consumer group "g")
//   reply:ID     stream of replies to one caller
//   events       pub/sub channel: "c:NAME" (changed), "r:GEN" (reset)

// claim: KEYS specs owners gens gen queue; ARGV prefix name spec owner newgen
var claimScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[2], ARGV[2])
if old and (old == ARGV[4] or redis.call('EXISTS', ARGV[1]..'host:'..old) == 1) then
  return false
end
local gen = redis.call('GET', KEYS[4])
if not gen then gen = ARGV[5]; redis.call('SET', KEYS[4], gen) end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[2], gen)
redis.call('DEL', KEYS[5])
redis.call('XGROUP', 'CREATE', KEYS[5], 'g', '$', 'MKSTREAM')
redis.call('PUBLISH', ARGV[1]..'events', 'c:'..ARGV[2])
return gen
`)

// release: KEYS specs owners gens; ARGV prefix name owner(or "")
var releaseScript = goredis.NewScript(`
local o = redis.call('HGET', KEYS[2], ARGV[2])
if not o or (ARGV[3] ~= '' and o ~= ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2]); redis.call('HDEL', KEYS[2], ARGV[2]); redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('DEL', ARGV[1]..'q:svc:'..ARGV[2])
redis.call('PUBLISH', ARGV[1]..'events', 'c:'..ARGV[2])
return 1
`)

// lookup: KEYS specs owners; ARGV prefix name
var lookupScript = goredis.NewScript(`
local o = redis.call('HGET', KEYS[2], ARGV[2])
if not o or redis.call('EXISTS', ARGV[1]..'host:'..o) == 0 then return false end
return redis.call('HGET', KEYS[1], ARGV[2])
`)

// list: KEYS specs owners; ARGV prefix
var listScript = goredis.NewScript(`
local out = {}
local owners = redis.call('HGETALL', KEYS[2])
local alive = {}
for i = 1, #owners, 2 do
  local o = owners[i+1]
  if alive[o] == nil then alive[o] = redis.call('EXISTS', ARGV[1]..'host:'..o) == 1 end
  if alive[o] then
    local s = redis.call('HGET', KEYS[1], owners[i])
    if s then out[#out+1] = s end
  end
end
return out
`)

// reset: KEYS specs owners gens gen; ARGV prefix newgen
var resetScript = goredis.NewScript(`
local names = redis.call('HKEYS', KEYS[2])
for _, n in ipairs(names) do redis.call('DEL', ARGV[1]..'q:svc:'..n) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SET', KEYS[4], ARGV[2])
redis.call('PUBLISH', ARGV[1]..'events', 'r:'..ARGV[2])
return #names
`)

// beat: KEYS hostkey hosts specs owners gens gen hostqueue
// ARGV prefix id info ttlms, then triples name gen spec for owned services.
// Returns the names the host must stop.
var beatScript = goredis.NewScript(`
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[7]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[7], 'g', '$', 'MKSTREAM')
end
local cur = redis.call('GET', KEYS[6])
local stop = {}
for i = 5, #ARGV, 3 do
  local name, gen, spec = ARGV[i], ARGV[i+1], ARGV[i+2]
  if not cur then cur = gen; redis.call('SET', KEYS[6], gen) end
  local o = redis.call('HGET', KEYS[4], name)
  if gen ~= cur then
    stop[#stop+1] = name
  elseif not o then
    -- the store lost the entry (restart, or this host was reaped while
    -- paused): put it back and recreate the queue.
    redis.call('HSET', KEYS[3], name, spec)
    redis.call('HSET', KEYS[4], name, ARGV[2])
    redis.call('HSET', KEYS[5], name, gen)
    local q = ARGV[1]..'q:svc:'..name
    if redis.call('EXISTS', q) == 0 then
      redis.call('XGROUP', 'CREATE', q, 'g', '$', 'MKSTREAM')
    end
    redis.call('PUBLISH', ARGV[1]..'events', 'c:'..name)
  elseif o ~= ARGV[2] then
    stop[#stop+1] = name
  end
end
return stop
`)

// reap: KEYS hosts specs owners gens; ARGV prefix, optional host ID to drop
// now (Leave). Removes hosts whose heartbeat expired and their services.
var reapScript = goredis.NewScript(`
local dead = {}
local any = false
if ARGV[2] then
  redis.call('DEL', ARGV[1]..'host:'..ARGV[2])
end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1]..'host:'..id) == 0 then
    redis.call('SREM', KEYS[1], id)
    redis.call('DEL', ARGV[1]..'q:host:'..id)
    dead[id] = true; any = true
  end
end
if not any then return 0 end
local owners = redis.call('HGETALL', KEYS[3])
local n = 0
for i = 1, #owners, 2 do
  if dead[owners[i+1]] then
    local name = owners[i]
    redis.call('HDEL', KEYS[2], name); redis.call('HDEL', KEYS[3], name); redis.call('HDEL', KEYS[4], name)
    redis.call('DEL', ARGV[1]..'q:svc:'..name)
    redis.call('PUBLISH', ARGV[1]..'events', 'c:'..name)
    n = n + 1
  end
end
return n
`)

// hosts: KEYS hosts; ARGV prefix. Returns the info of live hosts.
var hostsScript = goredis.NewScript(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1]..'host:'..id)
  if v then out[#out+1] = v end
end
return out
`)
