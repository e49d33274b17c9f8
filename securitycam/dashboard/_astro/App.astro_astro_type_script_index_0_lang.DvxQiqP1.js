import{s as o}from"./session.wPHp_06H.js";import"./api.CkWIr3Nd.js";import"./toast.BWUEmK06.js";o();
