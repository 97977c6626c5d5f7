-- Swap whole days into a table partitioned by day, atomically: readers see the old days or
-- the new ones, never a mix. The days replaced are those held by `{work_table}`;
-- `{day_column}` is the partition column (a DATE, or a TIMESTAMP truncated by DATE()).
BEGIN TRANSACTION;

DELETE FROM `{target_table}`
WHERE DATE({day_column}) IN (SELECT DISTINCT DATE({day_column}) FROM `{work_table}`);

INSERT INTO `{target_table}` ({columns})
SELECT {columns}
FROM `{work_table}`;

COMMIT TRANSACTION;
