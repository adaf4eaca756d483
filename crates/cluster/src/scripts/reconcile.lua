-- Makes one node's entries in a presence channel what that node says they are: its entries
-- that are not listed are removed, listed ones that are missing are added. Used after Redis
-- was unreachable (the node says what it has), and to remove a dead node (it has nothing).
-- Only real changes of membership are counted, so nobody is announced twice.
-- KEYS: members, refs, sockets, meta.
-- ARGV: "node|", seconds an empty roster's version is kept, then for each socket of the node:
-- "node|socket", the user's key, the member's JSON.
-- Returns {version, members, changes}; changes is a flat list of
-- "join", version, member JSON | "leave", version, user.
local prefix = ARGV[1]
local listed = {}
for i = 3, #ARGV, 3 do
  listed[ARGV[i]] = true
end
local changes = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(field, 1, #prefix) == prefix and not listed[field] then
    local user = redis.call('HGET', KEYS[3], field)
    redis.call('HDEL', KEYS[3], field)
    if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      redis.call('HDEL', KEYS[1], user)
      local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
      table.insert(changes, 'leave')
      table.insert(changes, ver)
      table.insert(changes, user)
    end
  end
end
for i = 3, #ARGV, 3 do
  local field, user, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HSETNX', KEYS[3], field, user) == 1 then
    redis.call('PERSIST', KEYS[4])
    if redis.call('HINCRBY', KEYS[2], user, 1) == 1 then
      redis.call('HSET', KEYS[1], user, member)
      local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
      table.insert(changes, 'join')
      table.insert(changes, ver)
      table.insert(changes, member)
    end
  end
end
if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('EXPIRE', KEYS[4], ARGV[2])
end
return {tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'), redis.call('HVALS', KEYS[1]), changes}
