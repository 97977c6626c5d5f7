-- Swap whole days into a table partitioned on DATE(hour), atomically: readers see the old
-- days or the new ones, never a mix. The days replaced are those held by `{work_table}`.
BEGIN TRANSACTION;

DELETE FROM `{target_table}`
WHERE DATE(hour) IN (SELECT DISTINCT DATE(hour) FROM `{work_table}`);

INSERT INTO `{target_table}` ({columns})
SELECT {columns}
FROM `{work_table}`;

COMMIT TRANSACTION;
