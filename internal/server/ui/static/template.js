"use strict";
// The template page: filled in next.
