"use strict";
// The templates page: filled in next.
