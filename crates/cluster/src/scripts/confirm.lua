-- After a grace period: whether the leave (or vacating) it held is still to be told, that is
-- whether its marker is still the one set (a return removes it). Removes it if so.
-- KEYS: the marker's key (a HASH of users for leaves, a plain key for vacating).
-- ARGV: the HASH field ('' for a plain key), the marker as it was set.
-- Returns 1 to tell it, 0 if a return cancelled it.
local current
if ARGV[1] == '' then
  current = redis.call('GET', KEYS[1])
else
  current = redis.call('HGET', KEYS[1], ARGV[1])
end
if current ~= ARGV[2] then
  return 0
end
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
