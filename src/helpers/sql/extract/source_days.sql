-- Downloads per day of the source over a range of days: tells which days hold data before
-- anything is written. COUNT(*) with a partition filter reads no column.
-- Query parameters (named, never formatted into the text): first DATE, last DATE.
SELECT DATE(timestamp) AS day, COUNT(*) AS downloads
FROM `{downloads_table}`
WHERE timestamp >= TIMESTAMP(@first)
  AND timestamp < TIMESTAMP(DATE_ADD(@last, INTERVAL 1 DAY))
GROUP BY day
