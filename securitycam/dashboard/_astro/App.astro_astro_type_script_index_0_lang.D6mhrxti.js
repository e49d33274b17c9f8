import{s as o}from"./session.B5KaeM_c.js";import"./api.CkWIr3Nd.js";import"./live.DtIl5-8p.js";import"./toast.Da0Ijm54.js";o();
