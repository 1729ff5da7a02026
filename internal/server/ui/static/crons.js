"use strict";
// The crons page: filled in next.
