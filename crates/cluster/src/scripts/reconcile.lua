-- Makes one node's entries in a presence channel what that node says they are: listed sockets
-- that are missing are added first, then the node's entries that are not listed are removed.
-- Used after Redis was unreachable (the node says what it has), and to remove a dead node (it
-- has nothing). Adding first means a user whose socket changed meanwhile (a page reload)
-- never drops to zero sockets: only real changes of membership are counted, so nobody is
-- announced leaving and joining again. The lifecycle's grace period is kept as join.lua and
-- leave.lua keep it.
-- KEYS: members, refs, sockets, meta, gone.
-- ARGV: "node|", seconds an emptied roster's epoch and version are kept, the lifecycle grace
-- period in milliseconds (0: no marker), then for each socket of the node: "node|socket", the
-- user's key, the member's JSON.
-- Returns {epoch, version, members, changes}; changes is a flat list of
-- "join", version, member JSON, arrival (as join.lua's) | "leave", version, user, marker ('' for
-- none, as leave.lua's).
local prefix = ARGV[1]
local grace = tonumber(ARGV[3])
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local listed = {}
local changes = {}
for i = 4, #ARGV, 3 do
  local field, user, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  listed[field] = true
  if redis.call('HSETNX', KEYS[3], field, user) == 1 then
    redis.call('HSETNX', KEYS[4], 'epoch', tonumber(time[1]) * 1000000 + tonumber(time[2]))
    redis.call('PERSIST', KEYS[4])
    if redis.call('HINCRBY', KEYS[2], user, 1) == 1 then
      redis.call('HSET', KEYS[1], user, member)
      local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
      local arrival = 1
      local gone = redis.call('HGET', KEYS[5], user)
      if gone then
        redis.call('HDEL', KEYS[5], user)
        arrival = (tonumber(string.match(gone, '^(%d+)|')) > now_ms) and 0 or 2
      end
      table.insert(changes, 'join')
      table.insert(changes, ver)
      table.insert(changes, member)
      table.insert(changes, tostring(arrival))
    end
  end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(field, 1, #prefix) == prefix and not listed[field] then
    local user = redis.call('HGET', KEYS[3], field)
    redis.call('HDEL', KEYS[3], field)
    if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      redis.call('HDEL', KEYS[1], user)
      local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
      local marker = ''
      if grace > 0 then
        marker = (now_ms + grace) .. '|' .. ver
        redis.call('HSET', KEYS[5], user, marker)
        redis.call('PEXPIRE', KEYS[5], grace + 60000)
      end
      table.insert(changes, 'leave')
      table.insert(changes, ver)
      table.insert(changes, user)
      table.insert(changes, marker)
    end
  end
end
if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('EXPIRE', KEYS[4], ARGV[2])
end
return {
  tonumber(redis.call('HGET', KEYS[4], 'epoch') or '0'),
  tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'),
  redis.call('HVALS', KEYS[1]),
  changes,
}
