"use strict";
// The workflow page: filled in next.
