-- A socket joins a presence channel.
-- KEYS: members, refs, sockets, meta, gone (one channel's roster, one hash slot).
-- ARGV: "node|socket", the user's key, the member's JSON.
-- Returns {first, epoch, version, members, arrival}: first is 1 when the user had no socket
-- anywhere yet (the version then counts this change); members are the roster's JSON values as
-- of that version. A roster created anew gets a new epoch (Redis' clock in microseconds), so
-- that its versions are never taken for those of an earlier roster of the same channel. A
-- socket that is already in joins nothing: first is 0, the roster is returned again.
-- arrival says what the app is told of a first join (lifecycle events): 1 the user was added;
-- 0 nothing, the user came back within the grace period of their leave (which is cancelled);
-- 2 the user left, then was added: their leave's grace period was over, but its node had not
-- told it yet (its marker is taken, so that node will not).
local time = redis.call('TIME')
redis.call('HSETNX', KEYS[4], 'epoch', tonumber(time[1]) * 1000000 + tonumber(time[2]))
redis.call('PERSIST', KEYS[4])
local first = 0
local arrival = 0
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 1
    and redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  redis.call('HINCRBY', KEYS[4], 'ver', 1)
  first = 1
  arrival = 1
  local gone = redis.call('HGET', KEYS[5], ARGV[2])
  if gone then
    redis.call('HDEL', KEYS[5], ARGV[2])
    local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    if tonumber(string.match(gone, '^(%d+)|')) > now_ms then
      arrival = 0
    else
      arrival = 2
    end
  end
end
return {
  first,
  tonumber(redis.call('HGET', KEYS[4], 'epoch')),
  tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'),
  redis.call('HVALS', KEYS[1]),
  arrival,
}
