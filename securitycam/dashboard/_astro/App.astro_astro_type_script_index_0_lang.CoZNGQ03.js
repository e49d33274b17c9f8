import{s as o}from"./session.Bbnd9xyT.js";import"./api.C5DFyJzy.js";import"./live.DtIl5-8p.js";import"./toast.BM-Rdw3m.js";o();
