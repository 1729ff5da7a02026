"use strict";
// The workflows page: filled in next.
