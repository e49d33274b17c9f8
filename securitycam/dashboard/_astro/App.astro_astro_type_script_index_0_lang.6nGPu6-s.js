import{s as o}from"./session.p450kKMI.js";import"./api.CkWIr3Nd.js";import"./toast.BWUEmK06.js";o();
