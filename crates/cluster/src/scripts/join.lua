-- A socket joins a presence channel.
-- KEYS: members, refs, sockets, meta (one channel's roster, one hash slot).
-- ARGV: "node|socket", the user's key, the member's JSON.
-- Returns {first, version, members}: first is 1 when the user had no socket anywhere yet (the
-- version then counts this change); members are the roster's JSON values as of that version.
-- A socket that is already in joins nothing: first is 0, the roster is returned again.
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then
  return {0, tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'), redis.call('HVALS', KEYS[1])}
end
redis.call('PERSIST', KEYS[4])
if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
  return {1, ver, redis.call('HVALS', KEYS[1])}
end
return {0, tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'), redis.call('HVALS', KEYS[1])}
