"use strict";
// The cron page: filled in next.
