-- Newest download timestamp of the source at or after day, read from the partitions of
-- day and the day after only. Parameters: day DATE.
SELECT MAX(timestamp) AS newest
FROM `{downloads_table}`
WHERE timestamp >= TIMESTAMP(@day)
  AND timestamp < TIMESTAMP(DATE_ADD(@day, INTERVAL 2 DAY))
